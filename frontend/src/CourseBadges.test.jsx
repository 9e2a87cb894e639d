import {
  act, cleanup, render, screen, waitFor, within,
} from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { IntlProvider } from '@edx/frontend-platform/i18n';
import { PluginSlot } from '@openedx/frontend-plugin-framework';

import {
  COURSE_EXIT_SLOT_ID, CourseBadges, PROGRESS_MAIN_BODY_SLOT_ID, PROGRESS_SIDE_PANEL_SLOT_ID,
  courseBadgesPluginSlots, courseBadgesUrl,
} from './index';

const mockGet = jest.fn();
const mockConfig = { LMS_BASE_URL: 'https://lms.example.com/' };

jest.mock('@edx/frontend-platform', () => ({ getConfig: () => mockConfig }));
jest.mock('@edx/frontend-platform/auth', () => ({
  getAuthenticatedHttpClient: () => ({ get: mockGet }),
  getAuthenticatedUser: () => ({ username: 'ada' }),
}));

const COURSE = 'course-v1:Academy+PY101+2026';
const NO_RULE = {
  kind: 'course',
  trigger: 'passing',
  min_grade: null,
  max_grade: null,
  modes: [],
  expires_in_months: null,
  learning_path_name: '',
  courses_in_path: null,
  courses_required: null,
};

function badge(fields = {}, rule = {}) {
  return {
    template_id: 't-1',
    name: 'Python Fundamentals',
    description: '',
    image_url: 'https://images.credly.test/python.png',
    status: 'not_yet',
    current_grade: null,
    courses_done: null,
    earned_at: null,
    expires_at: null,
    accept_url: '',
    badge_url: '',
    ...fields,
    rule: { ...NO_RULE, ...rule },
  };
}

function answer(results) {
  mockGet.mockResolvedValue({ data: { course_id: COURSE, username: 'ada', results } });
}

function setWidth(width) {
  window.innerWidth = width;
  window.dispatchEvent(new Event('resize'));
}

function renderAt(element, { locale = 'en', path = `/course/${COURSE}/progress` } = {}) {
  return render(
    <IntlProvider locale={locale}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/course/:courseId/progress" element={element} />
          <Route path="/course/:courseId/progress/:targetUserId/" element={element} />
          <Route path="/course/:courseId/course-end" element={element} />
          <Route path="*" element={element} />
        </Routes>
      </MemoryRouter>
    </IntlProvider>,
  );
}

async function shown(fields, rule, locale = 'en') {
  answer([badge(fields, rule)]);
  renderAt(<CourseBadges />, { locale });
  return screen.findByRole('heading', { level: 3 });
}

async function ruleText(rule, locale = 'en') {
  await shown({}, rule, locale);
  return document.querySelector('.credly-course-badge__rule').textContent;
}

beforeEach(() => {
  mockGet.mockReset();
  setWidth(1200);
});

describe('how each badge is earned', () => {
  test.each([
    [{ trigger: 'passing' }, 'Pass the course', 'Réussir le cours'],
    [{ trigger: 'certificate' }, 'Earn a certificate', 'Obtenir un certificat'],
    [{ trigger: 'certificate', modes: ['verified'], min_grade: 90 },
      'Earn a verified certificate with a grade of 90% or more',
      'Obtenir un certificat vérifié avec une note d’au moins 90 %'],
    [{ trigger: 'certificate', modes: ['professional', 'no-id-professional'] },
      'Earn a professional certificate', 'Obtenir un certificat professionnel'],
    [{ trigger: 'certificate', modes: ['honor'] }, 'Earn an honor certificate', 'Obtenir un certificat sur l’honneur'],
    [{ trigger: 'certificate', modes: ['verified', 'professional'] },
      'Earn a certificate (verified or professional)', 'Obtenir un certificat (vérifié ou professionnel)'],
    [{ trigger: 'certificate', modes: ['masters'] }, 'Earn a certificate (masters)', 'Obtenir un certificat (masters)'],
    [{ trigger: 'passing', min_grade: 80, max_grade: 90 },
      'Pass the course with a grade of at least 80% and below 90%',
      'Réussir le cours avec une note d’au moins 80 % et inférieure à 90 %'],
    [{ trigger: 'passing', max_grade: 80 }, 'Pass the course with a grade below 80%',
      'Réussir le cours avec une note inférieure à 80 %'],
    [{ trigger: 'grade', min_grade: 85.5 }, 'Reach a course grade of 85.5% or more',
      'Atteindre une note de 85,5 % ou plus dans le cours'],
    [{ trigger: 'grade', min_grade: 70, max_grade: 85 }, 'Reach a course grade of at least 70% and below 85%',
      'Atteindre dans le cours une note d’au moins 70 % et inférieure à 85 %'],
    [{
      kind: 'learning_path', trigger: '', learning_path_name: 'Data Analyst', courses_in_path: 4, courses_required: 4,
    }, 'Complete all 4 courses of the Data Analyst path', 'Terminer les 4 cours du parcours Data Analyst'],
    [{
      kind: 'learning_path', trigger: '', learning_path_name: 'Data Analyst', courses_in_path: 4, courses_required: 3,
    }, 'Complete 3 of the 4 courses of the Data Analyst path', 'Terminer 3 des 4 cours du parcours Data Analyst'],
    [{
      kind: 'learning_path', trigger: '', learning_path_name: 'Solo', courses_in_path: 1, courses_required: 1,
    }, 'Complete the one course of the Solo path', 'Terminer le cours du parcours Solo'],
    [{
      kind: 'learning_path', trigger: '', learning_path_name: 'Python for Data', courses_in_path: 2, courses_required: 2,
    }, 'Complete both courses of the Python for Data path', 'Terminer les deux cours du parcours Python for Data'],
  ])('%j', async (rule, english, french) => {
    // Intl writes "90 %" with a narrow no-break space in French: compare with plain spaces.
    expect((await ruleText(rule)).replace(/\s/g, ' ')).toBe(english);
    cleanup();
    expect((await ruleText(rule, 'fr')).replace(/\s/g, ' ')).toBe(french);
  });
});

describe('where the learner stands', () => {
  test('not yet, with her grade against the rule and the expiry rule', async () => {
    await shown({ current_grade: 72.4 }, { trigger: 'certificate', min_grade: 90, expires_in_months: 24 });
    const card = document.querySelector('.credly-course-badge');
    expect(card).toHaveAttribute('data-status', 'not_yet');
    expect(within(card).getByText('Not earned yet')).toBeInTheDocument();
    expect(within(card).getByText('Your grade: 72.4% (90% needed)')).toBeInTheDocument();
    expect(within(card).getByText('Valid for 24 months once earned')).toBeInTheDocument();
    expect(within(card).queryByRole('link')).toBeNull();
  });

  test('not yet, k of n courses of a learning path', async () => {
    await shown({ courses_done: 2 }, {
      kind: 'learning_path', trigger: '', learning_path_name: 'Data Analyst', courses_in_path: 4, courses_required: 4,
    });
    expect(screen.getByText('2 of 4 courses completed')).toBeInTheDocument();
    const bar = screen.getByRole('progressbar', { name: 'Progress toward Data Analyst' });
    expect(bar).toHaveAttribute('max', '4');
    expect(bar).toHaveAttribute('value', '2');
  });

  test('issuing', async () => {
    await shown({ status: 'issuing', earned_at: '2026-03-02T15:00:00Z' });
    expect(screen.getByText('Being issued')).toBeInTheDocument();
    expect(screen.getByText('Credly will send it to you shortly.')).toBeInTheDocument();
    expect(screen.queryByRole('link')).toBeNull();
  });

  test('pending: Accept on Credly, in a new tab', async () => {
    await shown({
      status: 'pending', accept_url: 'https://credly.test/accept/1', badge_url: 'https://credly.test/badges/1',
    });
    const accept = screen.getByRole('link', { name: 'Accept on Credly: Python Fundamentals (opens in a new tab)' });
    expect(accept).toHaveAttribute('href', 'https://credly.test/accept/1');
    expect(accept).toHaveAttribute('target', '_blank');
    expect(accept).toHaveAttribute('rel', 'noopener noreferrer');
    expect(accept).toHaveTextContent('Accept on Credly');
    expect(screen.getByText('Earned')).toBeInTheDocument();
  });

  test('pending seen by course staff: no accept link, the state in words', async () => {
    await shown({ status: 'pending', accept_url: '', badge_url: 'https://credly.test/badges/1' });
    expect(screen.getByText('Pending acceptance')).toBeInTheDocument();
    expect(screen.queryByRole('link')).toBeNull();
  });

  test('accepted: View badge, and its expiry date', async () => {
    await shown({
      status: 'accepted', badge_url: 'https://credly.test/badges/1', expires_at: '2028-03-02T12:00:00Z',
    }, { expires_in_months: 24 });
    expect(screen.getByRole('link', { name: 'View badge: Python Fundamentals on Credly (opens in a new tab)' }))
      .toHaveAttribute('href', 'https://credly.test/badges/1');
    expect(screen.getByText('Expires March 2, 2028')).toBeInTheDocument();
    expect(screen.queryByText(/Valid for/)).toBeNull();
  });

  test('expired', async () => {
    await shown({ status: 'expired', badge_url: 'https://credly.test/badges/1', expires_at: '2025-03-02T12:00:00Z' });
    expect(document.querySelector('.credly-course-badge')).toHaveAttribute('data-status', 'expired');
    expect(screen.getByText('Expired')).toBeInTheDocument();
    expect(screen.getByText('Expired March 2, 2025')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /View badge/ })).toBeInTheDocument();
  });

  test('every status in French', async () => {
    answer([
      badge({ template_id: 'a', current_grade: 72 }, { min_grade: 90 }),
      badge({ template_id: 'b', courses_done: 1 }, {
        kind: 'learning_path', learning_path_name: 'Data', courses_in_path: 3, courses_required: 3,
      }),
      badge({ template_id: 'c', status: 'issuing' }),
      badge({ template_id: 'd', status: 'pending', accept_url: 'https://credly.test/accept/d' }),
      badge({ template_id: 'e', status: 'accepted', badge_url: 'https://credly.test/badges/e' }),
      badge({ template_id: 'f', status: 'expired', badge_url: 'https://credly.test/badges/f' }),
    ]);
    renderAt(<CourseBadges />, { locale: 'fr' });
    expect(await screen.findByRole('heading', { level: 2, name: 'Badges du cours' })).toBeInTheDocument();
    const text = document.body.textContent.replace(/\s/g, ' ');
    expect(text).toContain('Votre note : 72 % (90 % requis)');
    expect(text).toContain('1 cours terminé sur 3');
    expect(text).toContain('En cours d’émission');
    expect(screen.getByRole('link', { name: /Accepter sur Credly/ })).toHaveAttribute('href', 'https://credly.test/accept/d');
    expect(screen.getAllByRole('link', { name: /Voir le badge/ })).toHaveLength(2);
    expect(text).toContain('Expiré');
    expect(screen.getAllByText('Pas encore obtenu')).toHaveLength(2);
  });
});

describe('loading, errors and nothing to show', () => {
  test('asks the LMS for the course of the route, and shows a skeleton that ends', async () => {
    let resolve;
    mockGet.mockReturnValue(new Promise((done) => { resolve = done; }));
    renderAt(<CourseBadges />);
    expect(mockGet).toHaveBeenCalledWith(
      'https://lms.example.com/api/credly/v1/courses/course-v1%3AAcademy%2BPY101%2B2026/badges/',
    );
    const loading = screen.getByTestId('credly-course-badges-loading');
    expect(loading).toHaveAttribute('aria-busy', 'true');
    expect(within(loading).getByText('Loading the course badges')).toBeInTheDocument();
    await act(async () => resolve({ data: { results: [badge()] } }));
    expect(screen.queryByTestId('credly-course-badges-loading')).toBeNull();
    expect(screen.getByRole('region', { name: 'Course badges' })).toHaveAttribute(
      'aria-labelledby', 'credly-course-badges-any-course-v1-Academy-PY101-2026',
    );
  });

  test('renders nothing for a course without badges', async () => {
    answer([]);
    const { container } = renderAt(<CourseBadges />);
    await waitFor(() => expect(mockGet).toHaveBeenCalled());
    await waitFor(() => expect(container).toBeEmptyDOMElement());
  });

  test('an API failure ends the skeleton and renders nothing', async () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => {});
    mockGet.mockRejectedValue(new Error('Request failed with status code 500'));
    const { container } = renderAt(<CourseBadges />);
    await waitFor(() => expect(container).toBeEmptyDOMElement());
    expect(spy).toHaveBeenCalledWith('Course badges: could not load the badges of the course.', expect.any(Error));
    spy.mockRestore();
  });

  test('outside a course page it asks nothing and renders nothing', async () => {
    const { container } = renderAt(<CourseBadges />, { path: '/dashboard' });
    await waitFor(() => expect(container).toBeEmptyDOMElement());
    expect(mockGet).not.toHaveBeenCalled();
  });

  test('course staff looking at a learner\'s progress see her view', async () => {
    answer([badge({ status: 'pending', accept_url: '' })]);
    renderAt(<CourseBadges />, { path: `/course/${COURSE}/progress/42/` });
    expect(await screen.findByText('Pending acceptance')).toBeInTheDocument();
    expect(mockGet).toHaveBeenCalledWith(
      'https://lms.example.com/api/credly/v1/courses/course-v1%3AAcademy%2BPY101%2B2026/badges/?user_id=42',
    );
  });

  test('a courseId prop wins over the route', async () => {
    answer([]);
    renderAt(<CourseBadges courseId="course-v1:Other+X+1" />);
    await waitFor(() => expect(mockGet).toHaveBeenCalledWith(courseBadgesUrl('course-v1:Other+X+1')));
  });
});

describe('in the learning MFE\'s slots', () => {
  const Slots = () => (
    <>
      <div data-testid="main"><PluginSlot id={PROGRESS_MAIN_BODY_SLOT_ID}><p>Certificate status</p></PluginSlot></div>
      <div data-testid="side"><PluginSlot id={PROGRESS_SIDE_PANEL_SLOT_ID} /></div>
    </>
  );

  beforeEach(() => {
    mockConfig.pluginSlots = courseBadgesPluginSlots;
  });

  afterEach(() => {
    delete mockConfig.pluginSlots;
  });

  test('the side panel on large screens, the main body below: once on the page', async () => {
    answer([badge()]);
    renderAt(<Slots />);
    await within(screen.getByTestId('side')).findByText('Course badges');
    expect(within(screen.getByTestId('main')).queryByText('Course badges')).toBeNull();
    expect(within(screen.getByTestId('main')).getByText('Certificate status')).toBeInTheDocument();
    expect(mockGet).toHaveBeenCalledTimes(1);
  });

  test('below the large breakpoint, in the main body', async () => {
    setWidth(800);
    answer([badge()]);
    renderAt(<Slots />);
    await within(screen.getByTestId('main')).findByText('Course badges');
    expect(within(screen.getByTestId('side')).queryByText('Course badges')).toBeNull();
    expect(mockGet).toHaveBeenCalledTimes(1);
  });

  test('the course exit page shows only what she earned, with its button', async () => {
    answer([
      badge({ template_id: 'a' }),
      badge({
        template_id: 'b', name: 'Data Capstone', status: 'pending', accept_url: 'https://credly.test/accept/b',
      }),
    ]);
    renderAt(<PluginSlot id={COURSE_EXIT_SLOT_ID}><p>Recommendations</p></PluginSlot>,
      { path: `/course/${COURSE}/course-end` });
    expect(await screen.findByRole('heading', { level: 2, name: 'You earned a badge' })).toBeInTheDocument();
    expect(screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['Data Capstone']);
    expect(screen.getByRole('link', { name: /Accept on Credly/ })).toHaveAttribute('href', 'https://credly.test/accept/b');
    // Before the recommendations.
    const html = document.body.innerHTML;
    expect(html.indexOf('You earned a badge')).toBeLessThan(html.indexOf('Recommendations'));
  });

  test('the course exit page shows nothing when nothing is earned, not even while loading', async () => {
    let resolve;
    mockGet.mockReturnValue(new Promise((done) => { resolve = done; }));
    renderAt(<PluginSlot id={COURSE_EXIT_SLOT_ID} />, { path: `/course/${COURSE}/course-end` });
    expect(screen.queryByTestId('credly-course-badges-loading')).toBeNull();
    await act(async () => resolve({ data: { results: [badge()] } }));
    expect(screen.queryByRole('heading')).toBeNull();
  });
});
