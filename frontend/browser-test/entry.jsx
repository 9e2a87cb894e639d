/*
 * A stand-in MFE page for the Chromium test (tests/learner/test_widget_browser.py): the
 * widget in the real PluginSlot of @openedx/frontend-plugin-framework, with the slot id
 * and props its MFE passes, configured with the slot config this package ships.
 *
 * The page says which widget (``page.widget``, from ``?widget=``) and how wide its column
 * is (the page sets the column's width from ``?width=``); a widget is one entry of
 * WIDGETS: its slot config and the slot as its MFE renders it.
 */
import { createRoot } from 'react-dom/client';
import { mergeConfig } from '@edx/frontend-platform';
import { IntlProvider } from '@edx/frontend-platform/i18n';
import { PluginSlot } from '@openedx/frontend-plugin-framework';

import { PROFILE_SLOT_ID, badgesEarnedPluginSlots } from '../src';

const page = window.CREDLY_TEST_PAGE;

// frontend-app-profile's AdditionalProfileFieldsSlot: the slot id and the props the profile passes.
const AdditionalProfileFieldsSlot = () => (
  <PluginSlot
    id={PROFILE_SLOT_ID}
    pluginProps={{
      refreshUserProfile: () => {},
      updateUserProfile: () => Promise.resolve({}),
      profileFieldValues: [],
      profileFieldErrors: {},
      formComponents: {},
    }}
  />
);

const WIDGETS = {
  profile: { slotId: PROFILE_SLOT_ID, pluginSlots: badgesEarnedPluginSlots, Slot: AdditionalProfileFieldsSlot },
};

const widget = WIDGETS[page.widget || 'profile'];

// What env.config.jsx gives the MFE: the LMS's address, the site's name and the plugin slots.
mergeConfig({ LMS_BASE_URL: page.lmsBaseUrl, SITE_NAME: page.siteName, pluginSlots: widget.pluginSlots });

window.CREDLY_SLOT_ID = widget.slotId;
createRoot(document.getElementById('slot')).render(
  <IntlProvider locale={page.locale || 'en'}>
    <widget.Slot />
  </IntlProvider>,
);
