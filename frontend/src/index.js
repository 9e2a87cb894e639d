export { default as BadgesEarned, BadgesEarnedContent, profileOwner } from './BadgesEarned';
export { PROFILE_SLOT_ID, badgesEarnedPlugin, badgesEarnedPluginSlots } from './slot';
export { badgesUrl, fetchBadges, PAGE_SIZE } from './api';
export { default as messages } from './messages';
export { default as catalogues } from './i18n';
// Course badges (the learning MFE): also the package's second entry, dist/course.
export * from './course';
export { useCardColumns } from './useCardColumns';
