/** A black pad to draw a white digit on with mouse, pen or finger (MNIST's look); calls back when a stroke ends. */
import { h } from '../lib/dom.js';

export function drawPad(onStroke: (canvas: HTMLCanvasElement) => void): { element: HTMLCanvasElement; clear(): void } {
  const canvas = h('canvas', { width: 168, height: 168, class: 'draw-pad', role: 'img', 'aria-label': 'drawing pad for a digit (pointer input)', 'data-testid': 'draw-pad' });
  const ctx = canvas.getContext('2d')!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (last === null) return;
    const p = at(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 13;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...p);
    ctx.stroke();
    last = p;
  });
  const end = () => {
    if (last === null) return;
    last = null;
    onStroke(canvas);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return { element: canvas, clear };
}
