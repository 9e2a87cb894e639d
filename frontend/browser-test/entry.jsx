/*
 * A stand-in profile page for the Chromium test (tests/learner/test_widget_browser.py):
 * frontend-app-profile's AdditionalProfileFieldsSlot, i.e. the real PluginSlot of
 * @openedx/frontend-plugin-framework with the slot id and props the profile passes,
 * configured with the slot config this package ships.
 */
import { createRoot } from 'react-dom/client';
import { mergeConfig } from '@edx/frontend-platform';
import { IntlProvider } from '@edx/frontend-platform/i18n';
import { PluginSlot } from '@openedx/frontend-plugin-framework';

import { PROFILE_SLOT_ID, badgesEarnedPluginSlots } from '../src';

const page = window.CREDLY_TEST_PAGE;

// What env.config.jsx gives the MFE: the LMS's address and the plugin slots.
mergeConfig({ LMS_BASE_URL: page.lmsBaseUrl, pluginSlots: badgesEarnedPluginSlots });

const AdditionalProfileFieldsSlot = () => (
  <PluginSlot
    id="org.openedx.frontend.profile.additional_profile_fields.v1"
    pluginProps={{
      refreshUserProfile: () => {},
      updateUserProfile: () => Promise.resolve({}),
      profileFieldValues: [],
      profileFieldErrors: {},
      formComponents: {},
    }}
  />
);

window.CREDLY_SLOT_ID = PROFILE_SLOT_ID;
createRoot(document.getElementById('slot')).render(
  <IntlProvider locale={page.locale || 'en'}>
    <AdditionalProfileFieldsSlot />
  </IntlProvider>,
);
