/**
 * Whether an element is on screen (or within a screen's height of it): panels scrolled out of
 * view skip their redraws and catch up when they come back, so a long Train screen costs
 * what its visible part costs.
 */
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export function useOnScreen(target: Ref<HTMLElement | null>, onShown: () => void): Ref<boolean> {
  const visible = ref(true);
  let observer: IntersectionObserver | null = null;
  onMounted(() => {
    if (!target.value || typeof IntersectionObserver === 'undefined') return;
    observer = new IntersectionObserver(
      (entries) => {
        const now = entries.some((e) => e.isIntersecting);
        const was = visible.value;
        visible.value = now;
        if (now && !was) onShown();
      },
      { rootMargin: '50% 0px' },
    );
    observer.observe(target.value);
  });
  onBeforeUnmount(() => observer?.disconnect());
  return visible;
}
