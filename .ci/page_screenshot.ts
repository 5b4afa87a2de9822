/**
 * The README's picture of the explanation page: the Christmas-tree packet
 * (`tcpcraft explain 45000028 … --html`), its TCP checksum pointed at, in
 * headless Chromium (Debian's `/usr/bin/chromium`), written to
 * `.github/explain-html-xmas.png`.
 *
 * `deno task screenshot:page` runs it; look at the picture before
 * committing it.
 *
 * @module
 */

import { createMemoryHost } from "../src/cli/host.ts";
import { runCli } from "../src/cli/main.ts";
import { Browser } from "../tests/_browser.ts";

/** Where the picture goes, relative to the repository. */
export const SCREENSHOT = ".github/explain-html-xmas.png";

const ROOT = new URL("..", import.meta.url);
const XMAS = [
  "45000028",
  "00010000",
  "4006f6a3",
  "c000022a",
  "c0000201",
  "0014029a",
  "00000000",
  "00000000",
  "50292000",
  "08e20000",
];

if (import.meta.main) {
  const host = createMemoryHost();
  const code = await runCli(["explain", ...XMAS, "--html", "xmas.html"], host, {
    version: "0",
  });
  if (code !== 0) throw new Error(host.err);
  const dir = await Deno.makeTempDir({ prefix: "tcpcraft-shot-" });
  const browser = await Browser.launch();
  try {
    await Deno.writeFile(`${dir}/xmas.html`, await host.readFile("xmas.html"));
    const page = await browser.newPage();
    await page.send("Emulation.setDeviceMetricsOverride", {
      width: 1280,
      height: 980,
      deviceScaleFactor: 1,
      mobile: false,
    });
    await page.send("Emulation.setEmulatedMedia", {
      features: [{ name: "prefers-color-scheme", value: "light" }],
    });
    await page.goto(`file://${dir}/xmas.html`);
    await page.waitFor(`document.querySelectorAll(".diagram").length === 2`);
    await page.evaluate(
      `window.scrollTo(0, document.querySelector(".packet-head").offsetTop - 12)`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await page.send("Input.dispatchMouseEvent", {
      type: "mouseMoved",
      ...(await page.evaluate(`(() => {
        const r = document.querySelector('.diagram.layer-tcp .piece[aria-label^="Checksum"]').getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      })()`)),
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Deno.writeFile(new URL(SCREENSHOT, ROOT), await page.screenshot());
    console.log(`wrote ${SCREENSHOT}`);
  } finally {
    await browser.close();
    await Deno.remove(dir, { recursive: true });
  }
}
