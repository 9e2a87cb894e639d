export { default as BadgesEarned, BadgesEarnedContent, profileOwner } from './BadgesEarned';
export { PROFILE_SLOT_ID, badgesEarnedPlugin, badgesEarnedPluginSlots } from './slot';
export { badgesUrl, fetchBadges, PAGE_SIZE } from './api';
export { default as messages } from './messages';
export { default as catalogues } from './i18n';
export {
  default as CourseBadges, CourseBadgesContent, PLACEMENT_COURSE_EXIT, PLACEMENT_MAIN_BODY, PLACEMENT_SIDE_PANEL,
} from './CourseBadges';
export {
  COURSE_EXIT_SLOT_ID, PROGRESS_MAIN_BODY_SLOT_ID, PROGRESS_SIDE_PANEL_SLOT_ID, courseBadgesPluginSlots,
} from './courseSlot';
export { courseBadgesUrl, fetchCourseBadges } from './api';
export { useCardColumns } from './useCardColumns';
