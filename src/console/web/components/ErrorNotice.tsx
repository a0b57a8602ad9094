import { InlineNotification } from '@carbon/react';

/** A failure in words, read out by screen readers as it appears. */
export function ErrorNotice({ error, title = 'That did not work' }: { error: string; title?: string }) {
  return <InlineNotification kind="error" role="alert" lowContrast hideCloseButton title={title} subtitle={error} />;
}
