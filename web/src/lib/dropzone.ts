/**
 * A file picker that also takes drag and drop: a labelled native file input (keyboard and screen-reader friendly)
 * inside a drop area. With `multiple`, every file picked or dropped at once is passed on (a TF.js model.json with
 * its weight shards); otherwise the first. Files over `maxBytes`, alone or together, are refused with a message
 * before they are read.
 */
import { formatBytes } from './format.js';
import { h, uniqueId } from './dom.js';

interface CommonOptions {
  label: string;
  hint: string;
  accept?: string;
  maxBytes: number;
  testId: string;
  onError(message: string): void;
}

export type DropzoneOptions = CommonOptions & (
  | { multiple?: false; onFile(file: File): void }
  | { multiple: true; onFiles(files: File[]): void });

/** The names shown under the picker (a model.json first): all of them when few, else the first ones and a count. */
export function describeFiles(files: readonly { name: string }[]): string {
  const json = (n: string): number => (/\.json$/i.test(n) ? 0 : 1);
  const names = files.map((f) => f.name).sort((a, b) => json(a) - json(b));
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${names.length - 2} more files`;
}

export function dropzone(o: DropzoneOptions): { element: HTMLElement; setName(name: string | null): void } {
  const id = uniqueId('file');
  const input = h('input', { id, type: 'file', accept: o.accept, multiple: o.multiple === true, 'data-testid': o.testId, 'aria-describedby': `${id}-hint` });
  const name = h('span', { class: 'file-name', 'aria-live': 'polite' });
  const zone = h('div', { class: 'dropzone' },
    h('label', { for: id, class: 'label', style: 'font-weight:600;color:var(--text)' }, o.label),
    h('span', { id: `${id}-hint`, style: 'font-size:0.85rem' }, o.hint),
    input, name);
  const take = (list: FileList | null | undefined): void => {
    const all = Array.from(list ?? []);
    if (all.length === 0) return;
    const files = o.multiple === true ? all : all.slice(0, 1);
    const big = files.find((f) => f.size > o.maxBytes);
    if (big !== undefined) {
      o.onError(`${big.name} is ${formatBytes(big.size)}; the page accepts files up to ${formatBytes(o.maxBytes)} here`);
      return;
    }
    const total = files.reduce((n, f) => n + f.size, 0);
    if (total > o.maxBytes) {
      o.onError(`these ${files.length} files are ${formatBytes(total)} in all; the page accepts up to ${formatBytes(o.maxBytes)} here`);
      return;
    }
    name.textContent = describeFiles(files);
    if (o.multiple === true) o.onFiles(files);
    else o.onFile(files[0]);
  };
  input.addEventListener('change', () => {
    take(input.files);
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
    take(e.dataTransfer?.files);
  });
  return { element: zone, setName: (n) => { name.textContent = n ?? ''; } };
}
