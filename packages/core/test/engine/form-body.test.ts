// How an adapter whose framework already parsed the form_post body gives it back to the engine.
import { describe, expect, it } from 'vitest'
import { encodeParsedForm } from '../../src/engine/form-body.js'
import { parseCallbackRequest } from '../../src/protocol/callback.js'

describe('encodeParsedForm', () => {
  it('keeps repeated values, so the callback parser still refuses duplicates', () => {
    const text = encodeParsedForm({ code: ['a', 'b'], state: 's' }, 'advice')
    expect(text).toBe('code=a&code=b&state=s')
    expect(() =>
      parseCallbackRequest({
        method: 'POST',
        url: 'https://app.example/callback',
        contentType: 'application/x-www-form-urlencoded',
        body: text,
      }),
    ).toThrow(expect.objectContaining({ code: 'CALLBACK_PARAMETER_DUPLICATED' }))
  })

  it('passes text through and encodes reserved characters', () => {
    expect(encodeParsedForm('a=1&b=2', 'advice')).toBe('a=1&b=2')
    expect(encodeParsedForm({ id_token: 'x.y+z/=' }, 'advice')).toBe('id_token=x.y%2Bz%2F%3D')
    expect(encodeParsedForm(undefined, 'advice')).toBe('')
  })

  it('refuses nested values with the adapter advice', () => {
    expect(() => encodeParsedForm({ code: { nested: 'x' } }, 'keep the raw body')).toThrow(
      expect.objectContaining({
        code: 'CALLBACK_CONTENT_TYPE_INVALID',
        message: expect.stringContaining('keep the raw body'),
      }),
    )
  })
})
