/*
 * A stand-in learning MFE for the Chromium test (tests/learner/test_course_widget_browser.py)
 * and the demo: frontend-app-learning's Progress tab (release/verawood.1: a main body
 * `col-12 col-md-8` and a side panel `col-12 col-md-4 px-md-4`, each with its
 * certificate-status PluginSlot, whose default content shows on one side only) and its
 * course exit page (CourseRecommendationsSlot), configured with the slot config this
 * package ships. The routes are the MFE's (/course/:courseId/progress, /course-end).
 * With ``CREDLY_TEST_PAGE.courses`` (the demo's widgets page), the Progress tab of each
 * course, one under the other, each in its own router.
 */
import { createRoot } from 'react-dom/client';
import {
  BrowserRouter, MemoryRouter, Route, Routes,
} from 'react-router-dom';
import { mergeConfig } from '@edx/frontend-platform';
import { IntlProvider } from '@edx/frontend-platform/i18n';
import { PluginSlot } from '@openedx/frontend-plugin-framework';
import {
  Card, breakpoints, useWindowSize,
} from '@openedx/paragon';

import {
  COURSE_EXIT_SLOT_ID, PROGRESS_MAIN_BODY_SLOT_ID, PROGRESS_SIDE_PANEL_SLOT_ID, courseBadgesPluginSlots,
} from '../src/course';

const page = window.CREDLY_TEST_PAGE;

mergeConfig({ LMS_BASE_URL: page.lmsBaseUrl, pluginSlots: courseBadgesPluginSlots });

const CertificateStatus = () => (
  <Card className="mb-4 certificate-status" data-testid="certificate-status">
    <Card.Section>
      <h2 className="h4">Certificate status</h2>
      <p className="small mb-0">You are not yet eligible for a certificate.</p>
    </Card.Section>
  </Card>
);

// frontend-app-learning's ProgressTabCertificateStatus{SidePanel,MainBody}Slot, as they are.
const CertificateStatusSlot = ({ side }) => {
  const windowWidth = useWindowSize().width;
  const wideScreen = windowWidth >= breakpoints.large.minWidth;
  return (
    <PluginSlot id={side ? PROGRESS_SIDE_PANEL_SLOT_ID : PROGRESS_MAIN_BODY_SLOT_ID}>
      {windowWidth && (side ? wideScreen : !wideScreen) && <CertificateStatus />}
    </PluginSlot>
  );
};

const ProgressTab = ({ title = 'Progress' }) => (
  <>
    <h1 className="h2 mb-4">{title}</h1>
    <div className="row w-100 m-0">
      <div className="col-12 col-md-8 p-0" id="main-body">
        <Card className="mb-4"><Card.Section><h2 className="h4">Course completion</h2></Card.Section></Card>
        <div id="main-body-slot"><CertificateStatusSlot side={false} /></div>
        <Card className="mb-4"><Card.Section><h2 className="h4">Grades</h2></Card.Section></Card>
      </div>
      <div
        className="col-12 col-md-4 p-0 px-md-4"
        id="side-panel"
        style={page.sidePanelWidth ? { flex: `0 0 ${page.sidePanelWidth + 48}px`, maxWidth: 'none' } : undefined}
      >
        <div id="side-panel-slot"><CertificateStatusSlot side /></div>
        <Card><Card.Section><h2 className="h4">Related links</h2></Card.Section></Card>
      </div>
    </div>
  </>
);

const CourseExit = () => (
  <>
    <h1 className="h2 mb-4">Congratulations!</h1>
    <p>You have completed this course.</p>
    <div id="course-exit-slot">
      <PluginSlot id={COURSE_EXIT_SLOT_ID}>
        <Card><Card.Section><h2 className="h4">Keep learning</h2><p className="mb-0">Recommended courses</p></Card.Section></Card>
      </PluginSlot>
    </div>
  </>
);

window.CREDLY_SLOT_IDS = [PROGRESS_SIDE_PANEL_SLOT_ID, PROGRESS_MAIN_BODY_SLOT_ID, COURSE_EXIT_SLOT_ID];
const routes = (
  <Routes>
    <Route path="/course/:courseId/progress" element={<ProgressTab />} />
    <Route path="/course/:courseId/course-end" element={<CourseExit />} />
  </Routes>
);
createRoot(document.getElementById('root')).render(
  <IntlProvider locale={page.locale || 'en'}>
    {page.courses ? page.courses.map((course) => (
      <section key={course.id} className="mb-5" data-course-id={course.id}>
        <MemoryRouter initialEntries={[`/course/${course.id}/progress`]}>
          <Routes>
            <Route path="/course/:courseId/progress" element={<ProgressTab title={`${course.name}: Progress`} />} />
          </Routes>
        </MemoryRouter>
      </section>
    )) : <BrowserRouter basename={page.basename}>{routes}</BrowserRouter>}
  </IntlProvider>,
);
