/**
 * A one-argument function that keeps its last answer. A check asks the same question of its own device
 * (its address, id, version, Host, rollout bucket) several times, once per rule condition and catalog step;
 * the next check asks about another device. Only for pure functions whose answers nobody changes.
 */
export function keepLast<K, V>(read: (key: K) => V): (key: K) => V {
  let known = false;
  let lastKey: K;
  let lastValue: V;
  return (key) => {
    if (known && key === lastKey) return lastValue;
    lastValue = read(key);
    lastKey = key;
    known = true;
    return lastValue;
  };
}
