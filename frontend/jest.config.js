module.exports = {
  testEnvironment: 'jsdom',
  setupFilesAfterEnv: ['<rootDir>/src/setupTest.js'],
  testMatch: ['<rootDir>/src/**/*.test.jsx'],
  // The ES modules of the platform's packages are compiled like ours.
  transformIgnorePatterns: ['/node_modules/(?!(@edx|@openedx)/)'],
  moduleNameMapper: {
    '\\.(css|scss|svg|png)$': '<rootDir>/test/styleStub.js',
    '^env\\.config$': '<rootDir>/test/envConfig.js',
  },
};
