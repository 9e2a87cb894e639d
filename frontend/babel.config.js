// ES modules out (the MFE's webpack bundles them), JSX with React's automatic runtime.
// Jest (NODE_ENV=test) needs CommonJS, and compiles the ES modules of @edx/frontend-platform and Paragon too.
module.exports = (api) => {
  const test = api.env('test');
  return {
    presets: [
      ['@babel/preset-env', test ? { targets: { node: 'current' } } : { modules: false, targets: 'defaults' }],
      ['@babel/preset-react', { runtime: 'automatic' }],
    ],
  };
};
