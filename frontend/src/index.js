export {
  default as BadgesEarned, BadgesEarnedContent, BadgesVisibility, profileOwner, MIN_CARD_WIDTH_PX, MAX_COLUMNS,
} from './BadgesEarned';
export { PROFILE_SLOT_ID, badgesEarnedPlugin, badgesEarnedPluginSlots } from './slot';
export {
  badgesUrl, fetchBadges, PAGE_SIZE, preferencesUrl, saveBadgesVisibility, BADGES_VISIBILITY_PREFERENCE,
} from './api';
export { default as useCardColumns, columnsFor, gridStyle, CARD_GAP_PX } from './useCardColumns';
export { default as messages } from './messages';
export { default as catalogues } from './i18n';
// Course badges (the learning MFE): also the package's second entry, dist/course.
export * from './course';
