import { DIRECT_PLUGIN, PLUGIN_OPERATIONS } from '@openedx/frontend-plugin-framework';

import CourseBadges, {
  PLACEMENT_COURSE_EXIT, PLACEMENT_MAIN_BODY, PLACEMENT_SIDE_PANEL,
} from './CourseBadges';

/*
 * frontend-app-learning's slots (src/plugin-slots/): the Progress tab's certificate status,
 * in the side panel on large screens and in the main body below them (no props: the widget
 * reads the course from the route), and the course exit page's CourseRecommendationsSlot
 * (CourseExitPluginSlots), which only the "Congratulations" page of a passed course shows.
 */
export const PROGRESS_SIDE_PANEL_SLOT_ID = 'org.openedx.frontend.learning.progress_tab_certificate_status_side_panel.v1';
export const PROGRESS_MAIN_BODY_SLOT_ID = 'org.openedx.frontend.learning.progress_tab_certificate_status_main_body.v1';
export const COURSE_EXIT_SLOT_ID = 'org.openedx.frontend.learning.course_recommendations.v1';

const CourseBadgesSidePanel = () => <CourseBadges placement={PLACEMENT_SIDE_PANEL} />;
const CourseBadgesMainBody = () => <CourseBadges placement={PLACEMENT_MAIN_BODY} />;
const CourseBadgesCourseExit = () => <CourseBadges placement={PLACEMENT_COURSE_EXIT} />;

/** The widget after the certificate status (priority 60: the slot's default content is 50). */
function insert(id, RenderWidget, priority = 60) {
  return {
    op: PLUGIN_OPERATIONS.Insert,
    widget: {
      id, type: DIRECT_PLUGIN, priority, RenderWidget,
    },
  };
}

export const courseBadgesSidePanelPlugin = insert('credly_course_badges_side_panel', CourseBadgesSidePanel);
export const courseBadgesMainBodyPlugin = insert('credly_course_badges_main_body', CourseBadgesMainBody);
// Before the recommendations: the badge is what the learner just earned.
export const courseBadgesCourseExitPlugin = insert('credly_course_badges_course_exit', CourseBadgesCourseExit, 40);

/**
 * Ready for the learning MFE's ``env.config.jsx``: ``pluginSlots: { ...courseBadgesPluginSlots }``.
 * Every slot keeps its default content (the certificate status, the recommendations).
 */
export const courseBadgesPluginSlots = {
  [PROGRESS_SIDE_PANEL_SLOT_ID]: { keepDefault: true, plugins: [courseBadgesSidePanelPlugin] },
  [PROGRESS_MAIN_BODY_SLOT_ID]: { keepDefault: true, plugins: [courseBadgesMainBodyPlugin] },
  [COURSE_EXIT_SLOT_ID]: { keepDefault: true, plugins: [courseBadgesCourseExitPlugin] },
};
