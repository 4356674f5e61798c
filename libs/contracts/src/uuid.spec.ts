import { isUuid } from './uuid';

describe('isUuid', () => {
  it.each(['0b6f1c9e-3f7a-4c1e-9a7b-2d4e5f6a7b8c', '0B6F1C9E-3F7A-4C1E-9A7B-2D4E5F6A7B8C'])('takes %s', (id) => expect(isUuid(id)).toBe(true));
  it.each([['not-a-uuid'], [''], ['0b6f1c9e-3f7a-4c1e-9a7b-2d4e5f6a7b8c\n'], ['0b6f1c9e3f7a4c1e9a7b2d4e5f6a7b8c'], [42], [undefined]])('refuses %p', (id) => expect(isUuid(id)).toBe(false));
});
