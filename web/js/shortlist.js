// The shortlist lives only in this browser (localStorage) until the person prints or shares it.

const KEY = 'assetmap.shortlist.v1';

export class Shortlist extends EventTarget {
  constructor(storage = window.localStorage) {
    super();
    this.storage = storage;
    this.items = this.load();
    window.addEventListener('storage', (e) => {
      if (e.key === KEY) {
        this.items = this.load();
        this.dispatchEvent(new Event('change'));
      }
    });
  }

  load() {
    try {
      const v = JSON.parse(this.storage.getItem(KEY) || '[]');
      return Array.isArray(v) ? v.filter((x) => x && typeof x.id === 'string') : [];
    } catch {
      return [];
    }
  }

  save() {
    try {
      this.storage.setItem(KEY, JSON.stringify(this.items));
    } catch {
      // Storage full or disabled (private mode): the list still works for this visit.
    }
    this.dispatchEvent(new Event('change'));
  }

  has(id) {
    return this.items.some((x) => x.id === id);
  }

  add(id, name) {
    if (this.has(id)) return;
    this.items.push({ id, name });
    this.save();
  }

  remove(id) {
    this.items = this.items.filter((x) => x.id !== id);
    this.save();
  }

  toggle(id, name) {
    if (this.has(id)) this.remove(id);
    else this.add(id, name);
    return this.has(id);
  }

  clear() {
    this.items = [];
    this.save();
  }

  ids() {
    return this.items.map((x) => x.id);
  }
}
