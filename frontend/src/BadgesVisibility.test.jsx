import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { IntlProvider } from '@edx/frontend-platform/i18n';

import { BadgesEarned, preferencesUrl } from './index';

const mockGet = jest.fn();
const mockPatch = jest.fn();
const mockConfig = { LMS_BASE_URL: 'https://lms.example.com/', SITE_NAME: 'Open edX Academy' };

jest.mock('@edx/frontend-platform', () => ({ getConfig: () => mockConfig }));
jest.mock('@edx/frontend-platform/auth', () => ({
  getAuthenticatedHttpClient: () => ({ get: mockGet, patch: mockPatch }),
  getAuthenticatedUser: () => ({ username: 'ada' }),
}));

const BADGE = {
  id: 'b-2',
  name: 'Data Specialist',
  image_url: '',
  state: 'accepted',
  earned_at: '2026-01-20T09:00:00Z',
  course_name: 'Data 101',
  accept_url: '',
  badge_url: 'https://credly.test/badges/b-2',
};

function answer(visibility) {
  return {
    data: {
      username: 'ada', count: 1, next: null, previous: null, results: [BADGE], learning_paths_in_progress: [],
      ...(visibility ? { visibility } : {}),
    },
  };
}

function renderWidget(locale = 'en') {
  return render(<IntlProvider locale={locale}><BadgesEarned username="ada" /></IntlProvider>);
}

beforeEach(() => {
  mockGet.mockReset();
  mockPatch.mockReset();
});

test('under custom privacy the owner chooses who sees the badges, saved as a merge-patch of the preference', async () => {
  mockGet.mockResolvedValue(answer({ account_privacy: 'custom', badges: 'all_users' }));
  mockPatch.mockResolvedValue({ data: {} });
  renderWidget();

  const select = await screen.findByLabelText('Who can see your badges');
  expect(select).toHaveValue('all_users');
  expect(screen.getByRole('option', { name: 'Everyone on Open edX Academy' })).toBeInTheDocument();
  await userEvent.selectOptions(select, 'private');

  expect(mockPatch).toHaveBeenCalledWith(
    'https://lms.example.com/api/user/v1/preferences/ada',
    { 'visibility.credly_badges': 'private' },
    { headers: { 'Content-Type': 'application/merge-patch+json' } },
  );
  await waitFor(() => expect(select).toHaveValue('private'));
  expect(select).not.toBeDisabled();
  expect(screen.queryByRole('alert')).not.toBeInTheDocument();
});

test('a choice that could not be saved is not shown as made, and says so', async () => {
  mockGet.mockResolvedValue(answer({ account_privacy: 'custom', badges: 'all_users' }));
  mockPatch.mockRejectedValue(new Error('Request failed with status code 403'));
  jest.spyOn(console, 'error').mockImplementation(() => {});
  renderWidget();

  const select = await screen.findByLabelText('Who can see your badges');
  await userEvent.selectOptions(select, 'private');

  expect(await screen.findByRole('alert')).toHaveTextContent('Your choice could not be saved. Try again.');
  expect(select).toHaveValue('all_users');
});

test.each([
  ['all_users', 'all_users', 'Everyone on Open edX Academy'],
  ['private', 'private', 'Just me'],
])('under %s privacy the profile decides: the owner is told, not asked', async (privacy, badges, words) => {
  mockGet.mockResolvedValue(answer({ account_privacy: privacy, badges }));
  renderWidget();

  expect(await screen.findByText(words)).toBeInTheDocument();
  expect(screen.queryByRole('combobox')).not.toBeInTheDocument();
  expect(mockPatch).not.toHaveBeenCalled();
});

test('a visitor (no visibility in the answer) is neither told nor asked', async () => {
  mockGet.mockResolvedValue(answer(null));
  renderWidget();

  expect(await screen.findByText('Data Specialist')).toBeInTheDocument();
  expect(screen.queryByRole('combobox')).not.toBeInTheDocument();
  expect(screen.queryByText('Just me')).not.toBeInTheDocument();
  expect(screen.queryByText(/Everyone on/)).not.toBeInTheDocument();
});

test('the control speaks French', async () => {
  mockGet.mockResolvedValue(answer({ account_privacy: 'custom', badges: 'private' }));
  renderWidget('fr');

  const select = await screen.findByLabelText('Qui peut voir vos badges');
  expect(select).toHaveValue('private');
  expect(screen.getByRole('option', { name: 'Tout le monde sur Open edX Academy' })).toBeInTheDocument();
});

test('the preferences address is the platform\'s, the username encoded', () => {
  expect(preferencesUrl('a b')).toBe('https://lms.example.com/api/user/v1/preferences/a%20b');
});
