import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@fontsource-variable/inter';
import './styles.css';
import { App } from './App';
import { DialogsProvider } from './components/dialogs';
import { applyTheme, readPreference } from './data/theme';

applyTheme(readPreference());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <DialogsProvider>
      <App />
    </DialogsProvider>
  </StrictMode>,
);
