// The web UI's entry: the stylesheet (bundled into one CSS file) and the app, rendered into #app.

import { render } from 'preact';
import { App } from './App.js';
import './styles.css';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app');
root.textContent = '';
render(<App />, root);
