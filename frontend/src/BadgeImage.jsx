import React from 'react';
import PropTypes from 'prop-types';
import { useIntl } from '@edx/frontend-platform/i18n';

import messages from './messages';

/** A badge's image beside its card's text, or nothing when Credly gave none. Shared by both widgets. */
const BadgeImage = ({ name, imageUrl = '', size }) => {
  const intl = useIntl();
  if (!imageUrl) {
    return null;
  }
  return (
    <img
      className="mr-3 flex-shrink-0"
      src={imageUrl}
      width={size}
      height={size}
      loading="lazy"
      style={{ objectFit: 'contain' }}
      alt={intl.formatMessage(messages.imageAlt, { name })}
    />
  );
};

BadgeImage.propTypes = {
  name: PropTypes.string.isRequired,
  imageUrl: PropTypes.string,
  size: PropTypes.number.isRequired,
};

export default BadgeImage;
