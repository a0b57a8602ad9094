import { Notice } from './Notice';

/** A failure in words, read out by screen readers as it appears. */
export function ErrorNotice({ error, title = 'That did not work' }: { error: string; title?: string }) {
  return <Notice kind="error" alert title={title} text={error} />;
}
