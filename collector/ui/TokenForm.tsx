// Asked for when the collector wants its report token (401): kept in sessionStorage only.

import { useState } from 'preact/hooks';

export function TokenForm(props: { message: string; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <section class="token" aria-labelledby="token-heading">
      <h1 id="token-heading">Report token needed</h1>
      <p role="alert">The collector refused the request: {props.message}.</p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (value.trim() !== '') props.onToken(value.trim());
        }}
      >
        <label for="token">Report token (the collector's reportToken)</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit">Show the report</button>
      </form>
      <p class="hint">Kept in this tab's session storage only, sent as authorization: Bearer to this collector.</p>
    </section>
  );
}
