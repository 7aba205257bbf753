// Drives Debian's headless Chromium through Kith's pages and prints what it saw as one JSON object;
// tests/browser/test_pages.py starts `kith serve`, runs this and asserts on the result.
// Usage: node drive.mjs CONFIG.json   (base, tokens, names and ids, screenshot folder)
// Every request that leaves 127.0.0.1 is recorded and refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const seen = { outside: [], consoleErrors: [] };
const TIMEOUT = 30_000;

const browser = await chromium.launch({
  executablePath: config.chromium ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1') return route.continue();
    seen.outside.push(route.request().url());
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  // GraphiQL asks for the schema before a token is pasted: those 401s are expected, other errors are not
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('status of 401')) seen.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => seen.consoleErrors.push(String(e)));
  return page;
}

const shot = (page, name) => page.screenshot({ path: join(config.screenshots, `${name}.png`) });

async function graphiql() {
  const page = await newPage();
  await page.goto(`${config.base}/graphql`);
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');
  await page.evaluate(({ token }) => {
    const editors = [...document.querySelectorAll('.CodeMirror')].map((e) => e.CodeMirror);
    const headers = editors.find((cm) => cm.getValue().includes('Authorization'));
    headers.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }));
    document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ me { name role } }');
  }, { token: config.tokens.partner });
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('"me"'));
  const response = await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue());
  await shot(page, 'graphiql');
  await page.context().close();
  return { response: JSON.parse(response) };
}

async function signIn(page, token) {
  await page.goto(`${config.base}/map`);
  await page.fill('#token', token);
  await page.click('#signin-form button');
  await page.waitForSelector('#app:not([hidden])');
  return { url: page.url(), stored: await page.evaluate(() => sessionStorage.getItem('kith-token')) === token };
}

async function searchAndOpen(page, text, kind, id) {
  await page.fill('#query', text);
  await page.click('#search-form button');
  await page.waitForFunction((t) => document.getElementById('results').dataset.for === t, text);
  const results = await page.$$eval('#results button', (bs) => bs.map((b) => ({ kind: b.dataset.kind, id: b.dataset.id, text: b.innerText })));
  if (!id) return { results };
  const started = Date.now();
  await page.click(`#results button[data-kind="${kind}"][data-id="${id}"]`);
  await page.waitForSelector(`#map[data-view="${kind === 'organization' ? 'account' : 'paths'}:${id}"]`);
  return { results, clickToPaintMs: Date.now() - started, ...(await drawn(page)) };
}

const drawn = (page) => page.evaluate(() => {
  const cy = window.kithMap.cy;
  return {
    paintMs: window.kithMap.lastPaintMs,
    queryMs: window.kithMap.queryMs,
    layoutMs: window.kithMap.drawMs,
    nodes: cy.nodes().map((n) => ({ id: n.id(), kind: n.data('kind'), label: n.data('label') })),
    edges: cy.edges().map((e) => ({ source: e.source().id(), target: e.target().id(), band: e.data('band'), best: e.hasClass('best') })),
    side: document.getElementById('side').innerText,
    paths: document.querySelectorAll('#side .path').length,
  };
});

// Moves the mouse onto the first edge's middle (or the first node) and returns the tooltip shown.
async function hover(page, what) {
  const at = await page.evaluate((kind) => {
    const box = document.getElementById('map').getBoundingClientRect();
    const cy = window.kithMap.cy;
    const p = kind === 'edge' ? cy.edges()[0].renderedMidpoint() : cy.nodes()[0].renderedPosition();
    return { x: box.left + p.x, y: box.top + p.y };
  }, what);
  await page.mouse.move(at.x, at.y);
  await page.waitForSelector('#tip', { state: 'visible' });
  const text = await page.textContent('#tip');
  await page.mouse.move(1, 1);
  return text;
}

async function clickNode(page, id) {
  const before = await page.evaluate(() => window.kithMap.cy.nodes().length);
  const at = await page.evaluate((nodeId) => {
    const box = document.getElementById('map').getBoundingClientRect();
    const p = window.kithMap.cy.getElementById(nodeId).renderedPosition();
    return { x: box.left + p.x, y: box.top + p.y };
  }, id);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`#map[data-expanded="${id}"]`);
  return { before, after: await page.evaluate(() => window.kithMap.cy.nodes().length) };
}

async function partner() {
  const page = await newPage();
  await page.goto(`${config.base}/map`);
  await page.fill('#token', 'kith_not-a-token');
  await page.click('#signin-form button');
  await page.waitForFunction(() => document.getElementById('signin-error').textContent !== '');
  const refused = await page.textContent('#signin-error');
  const signedIn = { ...(await signIn(page, config.tokens.partner)), refused };
  const account = await searchAndOpen(page, config.client.name, 'organization', config.client.id);
  account.edgeTip = await hover(page, 'edge');
  account.nodeTip = await hover(page, 'node');
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#downloads button[data-format="GRAPHML"]')]);
  account.download = { name: file.suggestedFilename(), path: join(config.screenshots, '..', file.suggestedFilename()) };
  await file.saveAs(account.download.path);
  await shot(page, 'map-account');
  const paths = await searchAndOpen(page, config.contact.name, 'person', config.contact.id);
  await shot(page, 'map-warm-path');
  const expanded = await clickNode(page, paths.edges.find((e) => e.best).source);
  await shot(page, 'map-expanded');
  await page.selectOption('#from', 'me');
  await page.evaluate(() => { window.kithMap.paths = null; });
  await page.click(`#results button[data-kind="person"][data-id="${config.contact.id}"]`);
  await page.waitForFunction(() => window.kithMap.paths !== null);
  const fromMe = await page.evaluate(() => window.kithMap.paths);
  await shot(page, 'map-warm-path-from-me');
  await page.selectOption('#from', 'firm');
  const big = await searchAndOpen(page, config.big.name, 'organization', config.big.id);
  await shot(page, 'map-500');
  await page.context().close();
  return { signedIn, account, paths, expanded, fromMe, big };
}

async function walled() {
  const page = await newPage();
  await signIn(page, config.tokens.walled);
  const search = await searchAndOpen(page, config.walled.short);
  await shot(page, 'map-walled-search');
  const byContact = await searchAndOpen(page, config.walled.contactName);
  // the colleague's own ties, expanded on the map: the walled organisation's people are not among them
  const paths = await searchAndOpen(page, config.colleague.name, 'person', config.colleague.id);
  const expanded = await clickNode(page, config.colleague.id);
  const view = await drawn(page);
  await shot(page, 'map-walled');
  const text = await page.evaluate(() => document.body.innerText);
  await page.context().close();
  return { search, byContact, paths, expanded, view, text };
}

try {
  const result = { graphiql: await graphiql(), partner: await partner(), walled: await walled() };
  console.log(JSON.stringify({ ...result, ...seen }));
} catch (error) {
  for (const context of browser.contexts()) {
    for (const page of context.pages()) await shot(page, 'failure').catch(() => {});
  }
  console.error(JSON.stringify(seen));
  throw error;
} finally {
  await browser.close();
}
