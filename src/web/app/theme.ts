import { createTheme } from "@mantine/core";

const systemFont =
  "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', sans-serif";

/** Calm and neutral: one accent colour, system fonts (nothing loaded from elsewhere; see the CSP). */
export const theme = createTheme({
  primaryColor: "indigo",
  primaryShade: 7,
  defaultRadius: "md",
  fontFamily: systemFont,
  headings: { fontFamily: systemFont, fontWeight: "650" },
  cursorType: "pointer",
  components: {
    // A closed dropdown leaves the DOM, so its listbox does not share the field's label.
    Combobox: { defaultProps: { keepMounted: false } },
    Button: { defaultProps: { radius: "md" } },
    // The close "×" of toasts and dialogs is an icon button: it needs a name of its own.
    Notification: {
      defaultProps: { withBorder: true, closeButtonProps: { "aria-label": "Dismiss" } },
    },
    Modal: { defaultProps: { closeButtonProps: { "aria-label": "Close" } } },
  },
});
