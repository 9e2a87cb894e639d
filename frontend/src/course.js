// The learning MFE's entry: "Course badges" alone (``@openedx-credly/frontend-plugin-badges/dist/course``).
export {
  default as CourseBadges, CourseBadgesContent, PLACEMENT_COURSE_EXIT, PLACEMENT_MAIN_BODY, PLACEMENT_SIDE_PANEL,
} from './CourseBadges';
export {
  COURSE_EXIT_SLOT_ID, PROGRESS_MAIN_BODY_SLOT_ID, PROGRESS_SIDE_PANEL_SLOT_ID, courseBadgesPluginSlots,
} from './courseSlot';
export { courseBadgesUrl, fetchCourseBadges } from './api';
