import { MAX_PAGE, PageQuery } from './page-query';
import { apiValidationPipe } from './validation';

/** What a paged route's handler gets for a query string's raw values, through the pipe every controller uses. */
async function parse(query: Record<string, unknown>): Promise<{ page: number; per_page: number; skip: number }> {
  const result = (await apiValidationPipe.transform(query, { type: 'query', metatype: PageQuery })) as PageQuery;
  expect(result).toBeInstanceOf(PageQuery);
  return { page: result.page, per_page: result.per_page, skip: result.skip };
}

describe('PageQuery', () => {
  it.each([
    [{}, 0],
    [{ page: '' }, 0],
    [{ page: '0' }, 0],
    [{ page: '3' }, 3],
    [{ page: '-1' }, 0],
    [{ page: '-99999999999999999999' }, 0],
    [{ page: 'abc' }, 0],
    [{ page: 'NaN' }, 0],
    [{ page: '2.7' }, 2],
    [{ page: '1e400' }, 1],
    [{ page: '99999999999999999999' }, MAX_PAGE],
    [{ page: '9'.repeat(400) }, MAX_PAGE],
    [{ page: ['4', '5'] }, 4],
    [{ page: { nested: '1' } }, 0],
  ])('reads page %j as %d', async (query, page) => {
    expect((await parse(query)).page).toBe(page);
  });

  it.each([
    [{}, 60],
    [{ per_page: '' }, 60],
    [{ per_page: '0' }, 60],
    [{ per_page: '1' }, 1],
    [{ per_page: '100' }, 100],
    [{ per_page: '200' }, 200],
    [{ per_page: '201' }, 200],
    [{ per_page: '100000' }, 200],
    [{ per_page: '-5' }, 1],
    [{ per_page: 'abc' }, 60],
    [{ per_page: '99999999999999999999' }, 200],
    [{ per_page: ['7', '9'] }, 7],
  ])('reads per_page %j as %d', async (query, perPage) => {
    expect((await parse(query)).per_page).toBe(perPage);
  });

  it('gives an exact offset at the largest page and size', async () => {
    expect(await parse({ page: '99999999999999999999', per_page: '99999999999999999999' })).toEqual({
      page: MAX_PAGE,
      per_page: 200,
      skip: MAX_PAGE * 200,
    });
    expect(Number.isSafeInteger(MAX_PAGE * 200)).toBe(true);
  });

  it('leaves other query parameters to their own decorators', async () => {
    expect(await parse({ page: '2', per_page: '10', since: '5', in_team: 'x' })).toEqual({ page: 2, per_page: 10, skip: 20 });
  });
});
