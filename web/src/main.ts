/**
 * The page shell: four tabs (Explainer, Model explorer, Run, Train) switched by the URL hash, each built the first
 * time it is shown so that opening one tab does not pay for the others.
 */
import './style.css';
import { byId } from './lib/dom.js';
import { mountExplainer } from './pages/explainer.js';
import { mountExplorer } from './pages/explorer.js';
import { mountRun } from './pages/run.js';
import { mountTrain } from './pages/train.js';

const PAGES: Record<string, (section: HTMLElement) => void> = {
  explainer: mountExplainer,
  explorer: mountExplorer,
  run: mountRun,
  train: mountTrain,
};
const mounted = new Set<string>();

function show(name: string, focus: boolean): void {
  const page = Object.hasOwn(PAGES, name) ? name : 'explainer';
  for (const key of Object.keys(PAGES)) byId(`page-${key}`).hidden = key !== page;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#tabs a'))
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  const section = byId(`page-${page}`);
  if (!mounted.has(page)) {
    mounted.add(page);
    PAGES[page](section);
  }
  document.title = `${section.querySelector('h2')?.textContent ?? 'sepconv'} · sepconv`;
  if (focus) byId('main').focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => show(location.hash.slice(1), true));
show(location.hash.slice(1), false);
