// The relationship map at /map: an ordinary client of Kith's GraphQL API (walls, sharing and audit
// apply unchanged). The token lives in sessionStorage only, never in a URL.
import cytoscape from 'cytoscape';
import './map.css';

const TOKEN_KEY = 'kith-token';
const BAND_COLOURS = { strong: '#1b7f3b', medium: '#e0a400', weak: '#d9822b', cold: '#9aa0a6' };
const $ = (id) => document.getElementById(id);
const state = { me: null, cy: null, lastPaintMs: null, view: '' };
window.kithMap = state; // for the browser tests and the curious

// -- the API ---------------------------------------------------------------------------------------
async function gql(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (response.status === 401) {
    signOut(body.errors?.[0]?.message);
    throw new Error('signed out');
  }
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

const PERSON = 'id name isInternal title organization { name }';

// -- signing in ------------------------------------------------------------------------------------
async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  try {
    const data = await gql(`{ me { name role person { ${PERSON} } } }`);
    state.me = data.me;
  } catch (error) {
    if (error.message !== 'signed out') signOut(error.message); // a 401 has signed out with its message already
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').textContent = `${state.me.person?.name ?? state.me.name} (${state.me.role})`;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.me = null;
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message ?? '';
}

// -- drawing ---------------------------------------------------------------------------------------
function when(iso) {
  return iso ? new Date(iso).toISOString().slice(0, 10) : 'unknown';
}

function nodeData(p) {
  const kind = p.kind ?? (p.isInternal ? 'colleague' : 'contact');
  return { id: p.id, label: p.label ?? p.name, kind, title: p.title ?? '', organization: p.organization?.name ?? p.organization ?? '' };
}

function edgeData(a, b, strength, band, lastTouch) {
  const [x, y] = a < b ? [a, b] : [b, a];
  return { id: `${x}|${y}`, source: x, target: y, strength, band, lastTouch: lastTouch ?? null };
}

function draw(elements, layout) {
  const started = performance.now();
  state.cy?.destroy();
  const cy = cytoscape({
    container: $('map'),
    elements,
    layout,
    textureOnViewport: true,
    hideEdgesOnViewport: elements.length > 400,
    minZoom: 0.1,
    maxZoom: 4,
    style: [
      { selector: 'node', style: { label: 'data(label)', 'font-size': 9, width: 14, height: 14, 'text-valign': 'bottom',
        'text-margin-y': 2, 'min-zoomed-font-size': 8 } },
      { selector: 'node[kind = "colleague"]', style: { 'background-color': '#2f6fde', shape: 'round-rectangle' } },
      { selector: 'node[kind = "contact"]', style: { 'background-color': '#c2562f', shape: 'ellipse' } },
      { selector: 'node.focus', style: { width: 24, height: 24, 'border-width': 3, 'border-color': '#17324d', 'font-weight': 'bold' } },
      { selector: 'edge', style: { width: (e) => 1 + (e.data('strength') / 100) * 7, 'line-color': (e) => BAND_COLOURS[e.data('band')] ?? '#ccc',
        'curve-style': 'haystack', opacity: 0.75 } },
      { selector: 'edge.best', style: { 'line-color': '#2f6fde', opacity: 1, 'z-index': 9 } },
      { selector: '.faded', style: { opacity: 0.15 } },
    ],
  });
  state.cy = cy;
  cy.one('render', () => {
    state.lastPaintMs = performance.now() - state.paintFrom;
    $('map').dataset.nodes = cy.nodes().length;
    $('map').dataset.edges = cy.edges().length;
    $('map').dataset.view = state.view;
  });
  cy.on('mouseover', 'node, edge', (event) => showTip(event));
  cy.on('mouseout', 'node, edge', () => { $('tip').style.display = 'none'; });
  cy.on('tap', 'node', (event) => expand(event.target.id()));
  state.drawMs = performance.now() - started;
  return cy;
}

function showTip(event) {
  const d = event.target.data();
  const tip = $('tip');
  tip.textContent = event.target.isEdge()
    ? `${d.band} tie, strength ${Math.round(d.strength)} · last touch ${when(d.lastTouch)}`
    : `${d.label}${d.title ? ', ' + d.title : ''}${d.organization ? ' — ' + d.organization : ''} (${d.kind})`;
  tip.style.left = `${event.originalEvent.clientX + 12}px`;
  tip.style.top = `${event.originalEvent.clientY + 12}px`;
  tip.style.display = 'block';
}

function side(html) {
  $('side').innerHTML = html;
}

const esc = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// -- search ----------------------------------------------------------------------------------------
async function search(text) {
  const data = await gql('query($text: String!) { search(text: $text, first: 20) { edges { node { kind id name detail } } } }', { text });
  const list = $('results');
  list.innerHTML = '';
  const found = data.search.edges.map((e) => e.node);
  if (!found.length) list.innerHTML = '<p>Nothing you may see matches.</p>';
  for (const m of found) {
    const button = document.createElement('button');
    button.dataset.kind = m.kind;
    button.dataset.id = m.id;
    button.innerHTML = `${esc(m.name)}<small>${esc(m.kind === 'organization' ? 'organisation' : 'person')} · ${esc(m.detail)}</small>`;
    button.onclick = () => (m.kind === 'organization' ? accountMap(m.id) : warmPaths(m.id));
    list.append(button);
  }
  list.dataset.for = text;
}

// -- the account map -------------------------------------------------------------------------------
async function accountMap(orgId) {
  state.paintFrom = performance.now();
  const data = await gql(`query($id: ID!) { accountMap(organization: $id) { organization { name }
    coverage { contacts known strong medium weak cold goingCold singleThreaded holders { colleague { name } share } }
    export(format: JSON) } }`, { id: orgId });
  state.queryMs = performance.now() - state.paintFrom;
  const map = data.accountMap;
  if (!map) {
    state.cy?.destroy();
    state.cy = null;
    side('<p class="error">No organisation with that id that you may see.</p>');
    return;
  }
  const graph = JSON.parse(map.export);
  const elements = [
    ...graph.nodes.map((n) => ({ data: nodeData(n) })),
    ...graph.edges.map((e) => ({ data: edgeData(e.source, e.target, e.strength, e.band, e.last_touch) })),
  ];
  state.view = `account:${orgId}`;
  // contacts inside, the colleagues who know them around them; the best known nearest the centre
  const weight = {};
  for (const e of graph.edges) {
    weight[e.source] = Math.max(weight[e.source] ?? 0, e.strength);
    weight[e.target] = Math.max(weight[e.target] ?? 0, e.strength);
  }
  const crowded = graph.nodes.length > 100;
  draw(elements, { name: 'concentric', animate: false, avoidOverlap: true, minNodeSpacing: crowded ? 10 : 40,
    concentric: (n) => (n.data('kind') === 'contact' ? 200 : 0) + (weight[n.id()] ?? 0),
    levelWidth: () => (crowded ? 25 : 100) });
  const c = map.coverage;
  const warnings = [];
  if (c.singleThreaded) {
    const h = c.holders[0];
    warnings.push(`<div class="warning" data-warning="single-threaded"><b>Single-threaded:</b> ${esc(h.colleague.name)} holds
      ${Math.round(h.share * 100)}% of the firm's ties here.</div>`);
  }
  if (c.goingCold) warnings.push(`<div class="warning" data-warning="going-cold"><b>Going cold:</b> ${c.goingCold} of
    ${c.known} known contacts have not been touched for months.</div>`);
  if (c.contacts > c.known) warnings.push(`<div class="warning" data-warning="unknown"><b>No tie:</b> ${c.contacts - c.known}
    of ${c.contacts} people here are known to no colleague.</div>`);
  if (!warnings.length) warnings.push('<div class="ok">Coverage is healthy: several colleagues, recently in touch.</div>');
  side(`<h2 id="view-title">${esc(map.organization.name)}</h2>
    <p>${c.contacts} people · ${c.known} known · strong ${c.strong}, medium ${c.medium}, weak ${c.weak}, cold ${c.cold}</p>
    <h3>Coverage</h3>${warnings.join('')}
    <h3>Open in Gephi, yEd or Neo4j Bloom</h3>
    <div id="downloads">${['GRAPHML', 'GEXF', 'JSON'].map((f) => `<button type="button" data-format="${f}">${f.toLowerCase()}</button>`).join(' ')}</div>
    <h3>Who holds the relationships</h3>
    ${c.holders.slice(0, 8).map((h) => `<div>${esc(h.colleague.name)}: ${Math.round(h.share * 100)}%</div>`).join('')}
    ${legend()}`);
  for (const button of document.querySelectorAll('#downloads button')) {
    button.onclick = () => download(orgId, map.organization.name, button.dataset.format).catch(report);
  }
}

// The account map as a file, from the same API (so the same walls and audit), saved by the browser.
async function download(orgId, name, format) {
  const data = await gql('query($id: ID!, $format: GraphFormat!) { accountMap(organization: $id) { export(format: $format) } }',
    { id: orgId, format });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([data.accountMap.export], { type: 'application/octet-stream' }));
  link.download = `${name.replace(/[^\w.-]+/g, '-')}.${format.toLowerCase()}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function legend() {
  return `<h3>Legend</h3><div class="legend">${Object.entries(BAND_COLOURS).map(([b, c]) =>
    `<span><i style="background:${c}"></i>${b}</span>`).join('')}</div>
    <div class="legend"><span>■ colleague (blue)</span><span>● outside contact (red)</span></div>
    <p>Thicker lines are stronger ties. Hover for the last touch; click a person to expand their ties.</p>`;
}

// -- warm paths ------------------------------------------------------------------------------------
async function sourcesOf() {
  const from = $('from').value;
  if (from === 'firm') return null;
  const mine = state.me.person ? [state.me.person.id] : [];
  if (from === 'me') return mine;
  const emails = $('team').value.split(',').map((s) => s.trim()).filter(Boolean);
  const ids = [...mine];
  for (const email of emails) {
    const data = await gql('query($email: String!) { person(email: $email) { id } }', { email });
    if (data.person) ids.push(data.person.id);
  }
  return ids;
}

async function warmPaths(personId) {
  state.paintFrom = performance.now();
  const from = await sourcesOf();
  const data = await gql(`query($to: ID!, $from: [ID!]) { warmPaths(to: $to, from: $from, first: 5) { edges { node {
    score introduction people { ${PERSON} } hops { source { id } target { id } strength band lastAt } } } } }`,
  { to: personId, from });
  const paths = data.warmPaths.edges.map((e) => e.node);
  state.paths = paths.map((p) => p.people.map((x) => x.id));
  const elements = new Map();
  for (const p of paths) {
    for (const person of p.people) elements.set(person.id, { data: nodeData(person) });
    for (const h of p.hops) {
      const d = edgeData(h.source.id, h.target.id, h.strength, h.band, h.lastAt);
      elements.set(d.id, { data: d });
    }
  }
  if (!paths.length) {
    const target = await gql(`query($id: ID!) { person(id: $id) { ${PERSON} } }`, { id: personId });
    if (target.person) elements.set(personId, { data: nodeData(target.person) });
  }
  state.view = `paths:${personId}`;
  const roots = paths.map((p) => p.people[0].id);
  const cy = draw([...elements.values()], { name: 'breadthfirst', directed: false, animate: false,
    roots: roots.length ? [...new Set(roots)] : undefined, spacingFactor: 1.1 });
  cy.getElementById(personId).addClass('focus');
  if (paths.length) {
    const best = paths[0];
    for (const h of best.hops) cy.getElementById(h.source.id < h.target.id ? `${h.source.id}|${h.target.id}` : `${h.target.id}|${h.source.id}`).addClass('best');
  }
  const names = Object.fromEntries(paths.flatMap((p) => p.people.map((x) => [x.id, x.name])));
  side(`<h2 id="view-title">Warm paths to ${esc(names[personId] ?? 'this person')}</h2>
    ${paths.length ? '' : '<p>No warm path within 4 hops from these sources.</p>'}
    ${paths.map((p, i) => `<div class="path${i === 0 ? ' best' : ''}" data-path="${i}">
      <b>${i + 1}. score ${p.score.toFixed(1)}</b> ${i === 0 ? '(best, highlighted)' : ''}<div>${esc(p.introduction)}</div>
      ${p.hops.map((h) => `<div class="hop">${esc(names[h.source.id])} → ${esc(names[h.target.id])}: ${h.band}
        ${Math.round(h.strength)}, last touch ${when(h.lastAt)}</div>`).join('')}</div>`).join('')}
    ${legend()}`);
}

// -- expanding a node ------------------------------------------------------------------------------
async function expand(personId) {
  const cy = state.cy;
  const data = await gql(`query($id: ID!) { person(id: $id) { ${PERSON} knows(first: 25) { edges { node {
    person { ${PERSON} } strength band lastAt } } } } }`, { id: personId });
  if (!data.person || !cy) return;
  const added = [];
  for (const { node: t } of data.person.knows.edges) {
    if (cy.getElementById(t.person.id).empty()) added.push({ group: 'nodes', data: nodeData(t.person) });
    const d = edgeData(personId, t.person.id, t.strength, t.band, t.lastAt);
    if (cy.getElementById(d.id).empty()) added.push({ group: 'edges', data: d });
  }
  const centre = cy.getElementById(personId).position();
  const fresh = cy.add(added);
  fresh.nodes().forEach((n, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, fresh.nodes().length);
    n.position({ x: centre.x + 120 * Math.cos(angle), y: centre.y + 120 * Math.sin(angle) });
  });
  $('map').dataset.nodes = cy.nodes().length;
  $('map').dataset.edges = cy.edges().length;
  $('map').dataset.expanded = personId;
}

// -- wiring ----------------------------------------------------------------------------------------
function report(error) {
  if (error.message !== 'signed out') side(`<p class="error">${esc(error.message)}</p>`);
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  signIn($('token').value.trim()).catch(report);
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  search($('query').value.trim()).catch(report);
});
$('from').addEventListener('change', () => { $('team').hidden = $('from').value !== 'team'; });
$('signout').addEventListener('click', () => signOut());
if (sessionStorage.getItem(TOKEN_KEY)) signIn(sessionStorage.getItem(TOKEN_KEY)).catch(report);
