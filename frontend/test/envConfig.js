// frontend-platform imports the MFE's env.config; the MFE build tools alias it, as here.
module.exports = {};
