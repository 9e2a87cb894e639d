import {
  act, render, screen, waitFor, within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { IntlProvider } from '@edx/frontend-platform/i18n';
import { PluginSlot } from '@openedx/frontend-plugin-framework';

import {
  BadgesEarned, PROFILE_SLOT_ID, badgesEarnedPluginSlots, badgesUrl,
} from './index';

const mockGet = jest.fn();
const mockConfig = { LMS_BASE_URL: 'https://lms.example.com/' };
let mockUser = { username: 'ada' };

jest.mock('@edx/frontend-platform', () => ({ getConfig: () => mockConfig }));
jest.mock('@edx/frontend-platform/auth', () => ({
  getAuthenticatedHttpClient: () => ({ get: mockGet }),
  getAuthenticatedUser: () => mockUser,
}));

const PENDING = {
  id: 'b-1',
  name: 'Python Fundamentals',
  description: 'Finished the course.',
  image_url: 'https://images.credly.test/python.png',
  state: 'pending',
  earned_at: '2026-03-02T15:00:00Z',
  course_id: 'course-v1:Academy+PY101+2026',
  course_name: 'Python 101: Foundations',
  learning_path_name: '',
  accept_url: 'https://credly.test/earner/badges/b-1/accept',
  badge_url: 'https://credly.test/badges/b-1',
  template_id: 't-1',
};
const ACCEPTED = {
  ...PENDING,
  id: 'b-2',
  name: 'Data Specialist',
  state: 'accepted',
  earned_at: '2026-01-20T09:00:00Z',
  course_id: '',
  course_name: '',
  learning_path_name: 'Data Path',
  accept_url: '',
  badge_url: 'https://credly.test/badges/b-2',
};

function page(results, { count = results.length, next = null, paths = [] } = {}) {
  return {
    data: {
      username: 'ada', count, next, previous: null, results, learning_paths_in_progress: paths,
    },
  };
}

// The slot's default content (FPF hands it the plugin props too).
const ProfileFields = () => <div>The profile&apos;s own fields</div>;

function renderWidget(props = {}, locale = 'en') {
  return render(
    <IntlProvider locale={locale}>
      <BadgesEarned {...props} />
    </IntlProvider>,
  );
}

beforeEach(() => {
  mockGet.mockReset();
  mockUser = { username: 'ada' };
  window.history.pushState({}, '', '/u/ada');
});

test('shows a skeleton while the badges load', async () => {
  let resolve;
  mockGet.mockReturnValue(new Promise((done) => { resolve = done; }));
  renderWidget();
  const loading = screen.getByTestId('credly-badges-loading');
  expect(loading).toHaveAttribute('aria-busy', 'true');
  expect(within(loading).getByText('Loading badges')).toBeInTheDocument();
  expect(screen.queryByRole('heading')).not.toBeInTheDocument();
  await act(async () => resolve(page([ACCEPTED])));
  expect(screen.queryByTestId('credly-badges-loading')).not.toBeInTheDocument();
  expect(screen.getByRole('heading', { level: 2, name: 'Badges Earned' })).toBeInTheDocument();
});

test('asks the LMS for the profile owner of the route, one page at a time', async () => {
  mockGet.mockResolvedValue(page([ACCEPTED]));
  window.history.pushState({}, '', '/u/grace%20h');
  renderWidget();
  await screen.findByText('Data Specialist');
  expect(mockGet).toHaveBeenCalledWith(
    'https://lms.example.com/api/credly/v1/users/grace%20h/badges/?page=1&page_size=6',
  );
  expect(badgesUrl('ada', 3)).toBe('https://lms.example.com/api/credly/v1/users/ada/badges/?page=3&page_size=6');
});

test('the username prop wins over the route, the signed-in user is the last resort', async () => {
  mockGet.mockResolvedValue(page([ACCEPTED]));
  renderWidget({ username: 'linus' });
  await screen.findByText('Data Specialist');
  expect(mockGet.mock.calls[0][0]).toContain('/users/linus/badges/');

  window.history.pushState({}, '', '/somewhere');
  mockUser = { username: 'me' };
  renderWidget();
  await waitFor(() => expect(mockGet).toHaveBeenCalledTimes(2));
  expect(mockGet.mock.calls[1][0]).toContain('/users/me/badges/');
});

test('renders each badge: image with alt text, name, course or path, date, state', async () => {
  mockGet.mockResolvedValue(page([PENDING, ACCEPTED]));
  renderWidget();
  const section = await screen.findByRole('region', { name: 'Badges Earned' });
  const cards = within(section).getAllByRole('listitem');
  expect(cards).toHaveLength(2);

  const first = within(cards[0]);
  expect(first.getByRole('heading', { level: 3, name: 'Python Fundamentals' })).toBeInTheDocument();
  expect(first.getByRole('img')).toHaveAttribute('alt', 'Badge: Python Fundamentals');
  expect(first.getByRole('img')).toHaveAttribute('src', PENDING.image_url);
  expect(first.getByText('Python 101: Foundations')).toBeInTheDocument();
  expect(first.getByText('Earned March 2, 2026')).toBeInTheDocument();
  expect(first.getByText('Pending acceptance')).toBeInTheDocument();

  const second = within(cards[1]);
  expect(second.getByText('Data Path')).toBeInTheDocument();
  expect(second.getByText('Accepted')).toBeInTheDocument();
  expect(second.getByText('Earned January 20, 2026')).toBeInTheDocument();
});

test('an expiring badge says when; an expired one is labelled, not hidden', async () => {
  mockGet.mockResolvedValue(page([
    { ...PENDING, expires_at: '2029-03-02T15:00:00Z', is_expired: false },
    { ...ACCEPTED, expires_at: '2026-02-01T09:00:00Z', is_expired: true },
  ]));
  renderWidget();
  const section = await screen.findByRole('region', { name: 'Badges Earned' });
  const cards = within(section).getAllByRole('listitem');
  expect(within(cards[0]).getByText('Expires March 2, 2029')).toBeInTheDocument();
  expect(within(cards[0]).queryByText('Expired')).not.toBeInTheDocument();
  expect(within(cards[1]).getByText('Expired February 1, 2026')).toBeInTheDocument();
  expect(within(cards[1]).getByText('Expired')).toBeInTheDocument();
  expect(within(cards[1]).getByRole('link', { name: /View badge: Data Specialist/ })).toBeInTheDocument();
  expect(section.querySelector('[data-expired="true"]')).toHaveAttribute('data-badge-id', 'b-2');
});

test('a milestone\'s badge says which milestone earned it', async () => {
  mockGet.mockResolvedValue(page([{
    ...ACCEPTED, id: 'm-1', name: 'Explorer', learning_path_name: '', milestone_name: 'Five courses', course_name: '',
  }]));
  renderWidget();
  const card = await screen.findByRole('listitem');
  expect(within(card).getByText('Five courses')).toBeInTheDocument();
});

test('a badge without an expiry date shows none', async () => {
  mockGet.mockResolvedValue(page([{ ...ACCEPTED, expires_at: null, is_expired: false }]));
  renderWidget();
  await screen.findByText('Data Specialist');
  expect(screen.queryByText(/Expire/)).not.toBeInTheDocument();
});

test('the owner accepts pending badges on Credly and views accepted ones', async () => {
  mockGet.mockResolvedValue(page([PENDING, ACCEPTED]));
  renderWidget();
  const accept = await screen.findByRole('link', { name: 'Accept on Credly: Python Fundamentals (opens in a new tab)' });
  expect(accept).toHaveAttribute('href', PENDING.accept_url);
  expect(accept).toHaveAttribute('target', '_blank');
  expect(accept).toHaveAttribute('rel', 'noopener noreferrer');
  expect(accept).toHaveTextContent('Accept on Credly');
  const view = screen.getByRole('link', { name: 'View badge: Data Specialist on Credly (opens in a new tab)' });
  expect(view).toHaveAttribute('href', ACCEPTED.badge_url);
  expect(screen.getAllByRole('link')).toHaveLength(2);
});

test('a visitor of a public profile sees its accepted badges and no accept link', async () => {
  window.history.pushState({}, '', '/u/grace');
  // What the LMS answers a visitor: accepted badges only, no accept links, no learning paths.
  mockGet.mockResolvedValue(page([{ ...ACCEPTED, id: 'g-1', name: 'Compilers' }]));
  renderWidget();
  expect(await screen.findByText('Compilers')).toBeInTheDocument();
  expect(mockGet.mock.calls[0][0]).toContain('/users/grace/badges/');
  expect(screen.queryByText('Accept on Credly')).not.toBeInTheDocument();
  expect(screen.queryByText('On the way to')).not.toBeInTheDocument();
  expect(screen.getByRole('link', { name: /View badge: Compilers/ })).toBeInTheDocument();
});

test('a pending badge without an accept link (as staff see it) has no button', async () => {
  mockGet.mockResolvedValue(page([{ ...PENDING, accept_url: '' }]));
  renderWidget();
  expect(await screen.findByText('Pending acceptance')).toBeInTheDocument();
  expect(screen.queryByRole('link')).not.toBeInTheDocument();
});

test('a private profile (an empty answer) renders nothing at all', async () => {
  window.history.pushState({}, '', '/u/grace');
  mockGet.mockResolvedValue({
    data: {
      username: 'grace', count: 0, next: null, previous: null, results: [], learning_paths_in_progress: [],
    },
  });
  const { container } = renderWidget();
  await waitFor(() => expect(mockGet).toHaveBeenCalled());
  await waitFor(() => expect(container).toBeEmptyDOMElement());
});

test('an owner without badges gets nothing at all: no heading, no box, no spinner', async () => {
  mockGet.mockResolvedValue(page([]));
  const { container } = renderWidget();
  await waitFor(() => expect(container).toBeEmptyDOMElement());
  expect(screen.queryByText('Badges Earned')).not.toBeInTheDocument();
});

test('an API failure renders nothing and only logs to the console', async () => {
  const consoleError = jest.spyOn(console, 'error').mockImplementation(() => {});
  const failure = Object.assign(new Error('Request failed with status code 500'), { response: { status: 500 } });
  mockGet.mockRejectedValue(failure);
  const { container } = renderWidget();
  await waitFor(() => expect(consoleError).toHaveBeenCalled());
  expect(consoleError.mock.calls[0][0]).toMatch(/Badges Earned/);
  expect(consoleError.mock.calls[0][1]).toBe(failure);
  expect(container).toBeEmptyDOMElement();
  consoleError.mockRestore();
});

test('older badges come a page at a time, appended, and the focus moves to the first new one', async () => {
  const first = Array.from({ length: 6 }, (_, index) => ({ ...ACCEPTED, id: `a-${index}`, name: `Badge ${index}` }));
  const second = [{ ...ACCEPTED, id: 'a-6', name: 'Badge 6' }];
  mockGet
    .mockResolvedValueOnce(page(first, { count: 7, next: 'https://lms.example.com/...?page=2' }))
    .mockResolvedValueOnce(page(second, { count: 7, next: null }));
  renderWidget();
  expect(await screen.findByText('6 of 7 badges shown')).toBeInTheDocument();
  expect(screen.getAllByRole('listitem')).toHaveLength(6);

  await userEvent.click(screen.getByRole('button', { name: 'Older badges' }));

  expect(await screen.findByText('Badge 6')).toBeInTheDocument();
  expect(mockGet.mock.calls[1][0]).toContain('page=2');
  expect(screen.getAllByRole('listitem')).toHaveLength(7);
  expect(screen.getByText('7 of 7 badges shown')).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Older badges' })).not.toBeInTheDocument();
  await waitFor(() => expect(screen.getByRole('heading', { name: 'Badge 6' })).toHaveFocus());
});

test('a single page has no paging controls', async () => {
  mockGet.mockResolvedValue(page([PENDING, ACCEPTED]));
  renderWidget();
  await screen.findByText('Python Fundamentals');
  expect(screen.queryByRole('button')).not.toBeInTheDocument();
  expect(screen.queryByText(/badges shown/)).not.toBeInTheDocument();
});

test('the owner sees how far along their learning paths are', async () => {
  mockGet.mockResolvedValue(page([ACCEPTED], {
    paths: [{
      name: 'Cloud Path', template_name: 'Cloud Expert', done: 1, required: 3,
    }],
  }));
  renderWidget();
  expect(await screen.findByRole('heading', { level: 3, name: 'On the way to' })).toBeInTheDocument();
  expect(screen.getByText('1 of 3 courses')).toBeInTheDocument();
  const bar = screen.getByRole('progressbar', { name: 'Progress toward Cloud Path' });
  expect(bar).toHaveAttribute('max', '3');
  expect(bar).toHaveAttribute('value', '1');
});

test('speaks French in a French application', async () => {
  mockGet.mockResolvedValue(page([PENDING, { ...ACCEPTED, expires_at: '2026-02-01T09:00:00Z', is_expired: true }], {
    count: 9,
    next: 'https://lms.example.com/...?page=2',
    paths: [{
      name: 'Cloud Path', template_name: 'Cloud Expert', done: 2, required: 3,
    }],
  }));
  renderWidget({}, 'fr');
  expect(await screen.findByRole('heading', { level: 2, name: 'Badges obtenus' })).toBeInTheDocument();
  expect(screen.getByText('En attente d’acceptation')).toBeInTheDocument();
  expect(screen.getByText('Accepté')).toBeInTheDocument();
  expect(screen.getByText('Obtenu le 2 mars 2026')).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Accepter sur Credly : Python Fundamentals (s’ouvre dans un nouvel onglet)' }))
    .toHaveTextContent('Accepter sur Credly');
  expect(screen.getByRole('link', { name: /Voir le badge Data Specialist sur Credly/ })).toHaveTextContent('Voir le badge');
  expect(screen.getByRole('img', { name: 'Badge : Python Fundamentals' })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Badges plus anciens' })).toBeInTheDocument();
  expect(screen.getByText('2 badges affichés sur 9')).toBeInTheDocument();
  expect(screen.getByText('En bonne voie pour')).toBeInTheDocument();
  expect(screen.getByText('2 cours sur 3')).toBeInTheDocument();
  expect(screen.getByText('Expiré')).toBeInTheDocument();
  expect(screen.getByText('Expiré le 1 février 2026')).toBeInTheDocument();
  expect(screen.getByRole('progressbar', { name: 'Progression vers Cloud Path' })).toBeInTheDocument();
});

test('a regional French (fr-ca) gets the French catalogue, an unknown language English', async () => {
  mockGet.mockResolvedValue(page([ACCEPTED]));
  renderWidget({}, 'fr-ca');
  expect(await screen.findByText('Badges obtenus')).toBeInTheDocument();
});

test('the shipped slot config puts the widget in frontend-app-profile\'s slot, through the real PluginSlot', async () => {
  mockConfig.pluginSlots = badgesEarnedPluginSlots;
  mockGet.mockResolvedValue(page([PENDING]));
  // The props frontend-app-profile's AdditionalProfileFieldsSlot passes to its plugins.
  const pluginProps = {
    refreshUserProfile: jest.fn(),
    updateUserProfile: jest.fn(),
    profileFieldValues: [],
    profileFieldErrors: {},
    formComponents: {},
  };
  render(
    <IntlProvider locale="en">
      <PluginSlot id="org.openedx.frontend.profile.additional_profile_fields.v1" pluginProps={pluginProps}>
        <ProfileFields />
      </PluginSlot>
    </IntlProvider>,
  );
  expect(PROFILE_SLOT_ID).toBe('org.openedx.frontend.profile.additional_profile_fields.v1');
  expect(screen.getByText('The profile\'s own fields')).toBeInTheDocument();
  expect(await screen.findByRole('heading', { name: 'Badges Earned' })).toBeInTheDocument();
  expect(screen.getByText('Python Fundamentals')).toBeInTheDocument();
  delete mockConfig.pluginSlots;
});

test('the slot stays empty (no FPF spinner) for an owner without badges', async () => {
  mockConfig.pluginSlots = badgesEarnedPluginSlots;
  mockGet.mockResolvedValue(page([]));
  const { container } = render(
    <IntlProvider locale="en">
      <PluginSlot id={PROFILE_SLOT_ID} />
    </IntlProvider>,
  );
  await waitFor(() => expect(mockGet).toHaveBeenCalled());
  await waitFor(() => expect(container).toBeEmptyDOMElement());
  expect(container.querySelector('.spinner-border')).toBeNull();
  delete mockConfig.pluginSlots;
});
