/**
 * A file picker that also takes drag and drop: a labelled native file input (keyboard and screen-reader friendly)
 * inside a drop area. Files over `maxBytes` are refused with a message before they are read.
 */
import { formatBytes } from './format.js';
import { h, uniqueId } from './dom.js';

export interface DropzoneOptions {
  label: string;
  hint: string;
  accept?: string;
  maxBytes: number;
  testId: string;
  onFile(file: File): void;
  onError(message: string): void;
}

export function dropzone(o: DropzoneOptions): { element: HTMLElement; setName(name: string | null): void } {
  const id = uniqueId('file');
  const input = h('input', { id, type: 'file', accept: o.accept, 'data-testid': o.testId, 'aria-describedby': `${id}-hint` });
  const name = h('span', { class: 'file-name', 'aria-live': 'polite' });
  const zone = h('div', { class: 'dropzone' },
    h('label', { for: id, class: 'label', style: 'font-weight:600;color:var(--text)' }, o.label),
    h('span', { id: `${id}-hint`, style: 'font-size:0.85rem' }, o.hint),
    input, name);
  const take = (file: File | undefined): void => {
    if (file === undefined) return;
    if (file.size > o.maxBytes) {
      o.onError(`${file.name} is ${formatBytes(file.size)}; the page accepts files up to ${formatBytes(o.maxBytes)} here`);
      return;
    }
    name.textContent = file.name;
    o.onFile(file);
  };
  input.addEventListener('change', () => {
    take(input.files?.[0]);
    input.value = ''; // picking the same file again should run again
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    take(e.dataTransfer?.files[0]);
  });
  return { element: zone, setName: (n) => { name.textContent = n ?? ''; } };
}
