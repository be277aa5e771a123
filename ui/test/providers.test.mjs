// What the providers list and the model picker offer, from the settings and the model lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headersFromText, headersToText, profileForLocalServer, profileName, uniqueName } from '../src/features/providers.js';
import { pickerGroups } from '../src/features/model-picker.js';

const profile = (id, name, model = '', extra = {}) => ({ id, name, kind: 'openai', preset: 'custom', baseUrl: '', model, headers: [], apiVersion: '', maxTokens: null, allowCleartextKey: false, ...extra });
const presets = [{ id: 'ollama', name: 'Ollama', kind: 'openai', baseUrl: 'http://localhost:11434/v1', model: 'llama3.2', needsKey: false, localPort: 11434, keyUrl: '' }];

test('a new name never clashes with a profile’s, whatever its case', () => {
  const profiles = [profile('a', 'Ollama'), profile('b', 'ollama 2')];
  assert.equal(uniqueName(profiles, 'Groq'), 'Groq');
  assert.equal(uniqueName(profiles, 'Ollama'), 'Ollama 3');
});

test('a local server found by the probe becomes a profile on its address with its first model', () => {
  const made = profileForLocalServer(presets, [profile('o', 'Ollama')], { preset: 'ollama', name: 'Ollama', baseUrl: 'http://127.0.0.1:5555/v1', models: ['qwen3', 'llama3.2'] });
  assert.deepEqual({ id: made.id, name: made.name, preset: made.preset, baseUrl: made.baseUrl, model: made.model }, { id: '', name: 'Ollama 2', preset: 'ollama', baseUrl: 'http://127.0.0.1:5555/v1', model: 'qwen3' });
  assert.equal(profileForLocalServer(presets, [], { preset: 'ollama', name: 'Ollama', baseUrl: 'http://127.0.0.1:1/v1', models: [] }).model, 'llama3.2', 'the preset’s model when the server lists none');
});

test('extra headers are written and read one per line', () => {
  const headers = [{ name: 'HTTP-Referer', value: 'https://palaver.app' }, { name: 'X-Title', value: 'a: b' }];
  assert.deepEqual(headersFromText(headersToText(headers)), headers);
  assert.deepEqual(headersFromText('\n  X-A :  1 \n\n'), [{ name: 'X-A', value: '1' }]);
});

test('a profile is shown by its name; an unknown id as it is', () => {
  const settings = /** @type {any} */ ({ profiles: [profile('groq', 'Groq')] });
  assert.equal(profileName(settings, 'groq'), 'Groq');
  assert.equal(profileName(settings, 'gone'), 'gone');
});

test('the picker groups models by profile, filters on model and profile, and offers typed text', () => {
  const profiles = [profile('a', 'Local', 'small'), profile('b', 'Cloud', 'gpt')];
  const lists = [
    { profileId: 'a', models: ['mock-small', 'mock-large'] },
    { profileId: 'b', models: [], error: { kind: /** @type {const} */ ('auth'), message: 'bad key' } },
  ];
  const all = pickerGroups(profiles, lists, '');
  assert.deepEqual(all.map((g) => [g.profile.id, g.models, g.typed, g.error?.kind]), [
    ['a', ['mock-small', 'mock-large'], null, undefined],
    ['b', ['gpt'], null, 'auth'],
  ], 'a failed list shows its error and the profile’s own model');
  assert.deepEqual(pickerGroups(profiles, lists, 'large').map((g) => [g.profile.id, g.models, g.typed]), [
    ['a', ['mock-large'], 'large'],
    ['b', [], 'large'],
  ]);
  assert.deepEqual(pickerGroups(profiles, lists, 'mock-small').map((g) => [g.profile.id, g.models, g.typed]), [
    ['a', ['mock-small'], null],
    ['b', [], 'mock-small'],
  ], 'a listed model is not offered again as typed text');
  assert.deepEqual(pickerGroups(profiles, lists, 'local').map((g) => g.models), [['mock-small', 'mock-large'], []]);
  assert.deepEqual(pickerGroups(profiles, null, '').map((g) => g.models), [['small'], ['gpt']], 'while the lists load, each profile’s own model');
});
