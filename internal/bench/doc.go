// Package bench is `kofu-emu bench`: kofu's performance measured side by
// side with the tools a user would otherwise reach for (OpenSC,
// Ghostscript) or against its targets, in one run on one machine. It owns
// the figures (one file each), the Markdown/JSON report and the PNG charts.
package bench
