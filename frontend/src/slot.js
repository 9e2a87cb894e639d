import { DIRECT_PLUGIN, PLUGIN_OPERATIONS } from '@openedx/frontend-plugin-framework';

import BadgesEarned from './BadgesEarned';

/** frontend-app-profile's slot below the profile fields (src/plugin-slots/AdditionalProfileFieldsSlot). */
export const PROFILE_SLOT_ID = 'org.openedx.frontend.profile.additional_profile_fields.v1';

/** The widget, inserted beside the slot's default content. */
export const badgesEarnedPlugin = {
  op: PLUGIN_OPERATIONS.Insert,
  widget: {
    id: 'credly_badges_earned',
    type: DIRECT_PLUGIN,
    priority: 60,
    RenderWidget: BadgesEarned,
  },
};

/**
 * Ready for ``env.config.jsx``: ``pluginSlots: { ...badgesEarnedPluginSlots }``.
 * The slot keeps its default content (the profile's own additional fields).
 */
export const badgesEarnedPluginSlots = {
  [PROFILE_SLOT_ID]: {
    keepDefault: true,
    plugins: [badgesEarnedPlugin],
  },
};
