import { render } from 'preact';
import { App } from './app.js';
import { redeemLoginCode } from './login-code.js';
import './styles.css';

void redeemLoginCode();
render(<App />, document.getElementById('app')!);
