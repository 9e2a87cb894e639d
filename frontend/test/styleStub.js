// Stylesheets and images mean nothing to jsdom.
module.exports = {};
