/** Just enough XML for awsQuery answers (IAM, STS): objects become elements, arrays `<member>` lists. */

const escapeXml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/** Any JSON-like value: objects, arrays, strings, numbers, booleans, dates; undefined fields are left out. */
export type XmlValue = unknown;

export function toXml(value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    let out = '';
    for (const item of value) out += `<member>${toXml(item)}</member>`;
    return out;
  }
  if (typeof value === 'object') {
    let out = '';
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined && v !== null) out += `<${k}>${toXml(v)}</${k}>`;
    }
    return out;
  }
  return escapeXml(String(value));
}

export function queryResponse(
  action: string,
  namespace: string,
  result: XmlValue,
  requestId: string,
): string {
  const body = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  return `<${action}Response xmlns="${namespace}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryError(
  namespace: string,
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
  requestId: string,
): string {
  return `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
