export { default as BadgesEarned, BadgesEarnedContent, profileOwner } from './BadgesEarned';
export { PROFILE_SLOT_ID, badgesEarnedPlugin, badgesEarnedPluginSlots } from './slot';
export { badgesUrl, fetchBadges, PAGE_SIZE } from './api';
export { default as messages } from './messages';
export { default as catalogues } from './i18n';
