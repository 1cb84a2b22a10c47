// Lint: type-aware rules plus the import direction of docs/ARCHITECTURE.md.
// http -> services -> storage -> core; taxii and detect -> core; core imports nothing outside core.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbid = (files, names) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: names.map((n) => ({
          regex: `(^|\\.\\./)${n}/`,
          message: `import direction: may not import src/${n}`,
        })),
      },
    ],
  },
});

const ioModules = [
  'node:fs',
  'node:fs/promises',
  'fs',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'pino',
  'kysely',
  'better-sqlite3',
  'pg',
  'fastify',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'web/dist/**',
      'coverage/**',
      'eslint.config.js',
      'bin/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: 'src/core is pure: no I/O' })),
          patterns: ['storage', 'taxii', 'services', 'detect', 'http', 'cli'].map((n) => ({
            regex: `(^|\\.\\./)${n}/`,
            message: `import direction: core may not import src/${n}`,
          })),
        },
      ],
    },
  },
  forbid(['src/storage/**/*.ts'], ['taxii', 'services', 'detect', 'http', 'cli']),
  forbid(['src/taxii/**/*.ts'], ['storage', 'services', 'detect', 'http', 'cli']),
  forbid(['src/detect/**/*.ts'], ['storage', 'taxii', 'services', 'http', 'cli']),
  forbid(['src/services/**/*.ts'], ['http', 'cli']),
  forbid(['src/http/**/*.ts'], ['storage', 'cli']),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
