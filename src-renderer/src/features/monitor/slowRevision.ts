/**
 * A counter that follows a fast one (the training store's revision, moving with every update,
 * 30 times a second and more) at most every `intervalMs`, the last move always followed. For
 * numbers people read (speed, time left, the legend's latest loss): four times a second is
 * as often as they can be read, and each re-render of their panel costs a frame's time.
 */
import { getCurrentInstance, onBeforeUnmount, ref, watch, type Ref } from 'vue';

export function useSlowRevision(source: Ref<number>, intervalMs = 250): Ref<number> {
  const slow = ref(source.value);
  let timer: ReturnType<typeof setTimeout> | null = null;
  watch(source, () => {
    if (timer === null) timer = setTimeout(() => ((timer = null), (slow.value = source.value)), intervalMs);
  });
  if (getCurrentInstance()) onBeforeUnmount(() => timer !== null && clearTimeout(timer));
  return slow;
}
