// `tauri` as the release workflow runs it: in the step that compiles the app (no secrets)
// and in the step that bundles and signs it (the signing secrets, and the GitHub token that
// tauri-action needs to upload the result).
//
// - The frontend is built by an earlier step that holds no secret, so the hook that would
//   build it again (npm and its dev dependencies, with the keys in their environment) is
//   switched off.
// - A secret the repository does not have reaches the step as an empty variable, and Tauri
//   takes an empty APPLE_CERTIFICATE or APPLE_ID as one to sign or notarise with. Empty ones
//   are removed, so a repository without them gets an unsigned build, as documented.
// - The tokens meant for tauri-action itself (release upload, cache, OIDC) are not passed to
//   the build and the build scripts of every crate it compiles.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const OPTIONAL_SECRETS = [
  'TAURI_SIGNING_PRIVATE_KEY', 'TAURI_SIGNING_PRIVATE_KEY_PASSWORD',
  'APPLE_CERTIFICATE', 'APPLE_CERTIFICATE_PASSWORD', 'APPLE_SIGNING_IDENTITY',
  'APPLE_ID', 'APPLE_PASSWORD', 'APPLE_TEAM_ID',
];
const NOT_FOR_THE_BUILD = [
  'GITHUB_TOKEN', 'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_URL',
];

const env = { ...process.env };
for (const name of OPTIONAL_SECRETS) if (!env[name]) delete env[name];
for (const name of NOT_FOR_THE_BUILD) delete env[name];

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../../ui/node_modules/@tauri-apps/cli/tauri.js', import.meta.url));
const [command, ...rest] = process.argv.slice(2);
const noFrontendHook = command === 'build' ? ['--config', JSON.stringify({ build: { beforeBuildCommand: null } })] : [];
const run = spawnSync(process.execPath, [cli, command, ...noFrontendHook, ...rest], { cwd: root, env, stdio: 'inherit' });
if (run.error) throw run.error;
process.exit(run.status ?? 1);
