/**
 * Email templates (handlebars, kept as files in ./templates): each has a subject, a plain
 * text and an HTML part. Handlebars escapes every value in HTML, so a rejection reason cannot
 * inject markup. Templates carry no secret: none is ever passed to them.
 */
import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

export const TEMPLATE_NAMES = ['approval-requested', 'approval-request-sent', 'request-already-sent', 'request-approved', 'request-rejected', 'certificate-expiring'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

const DIR = path.join(__dirname, 'templates');

interface Compiled {
  subject: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
  html: Handlebars.TemplateDelegate;
}

const cache = new Map<TemplateName, Compiled>();

function compiled(name: TemplateName): Compiled {
  let c = cache.get(name);
  if (!c) {
    const read = (part: string) => fs.readFileSync(path.join(DIR, `${name}.${part}.hbs`), 'utf8');
    c = {
      // Subject and text are not HTML: no entity escaping there.
      subject: Handlebars.compile(read('subject').trim(), { noEscape: true, strict: true }),
      text: Handlebars.compile(read('text'), { noEscape: true, strict: true }),
      html: Handlebars.compile(read('html'), { strict: true }),
    };
    cache.set(name, c);
  }
  return c;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Renders template `name` with `data`; a missing value is an error, not an empty field. */
export function renderMail(name: TemplateName, data: Record<string, unknown>): RenderedMail {
  const c = compiled(name);
  return { subject: c.subject(data).replace(/\s+/g, ' '), text: c.text(data), html: c.html(data) };
}
