// Fails fast, with a readable message, on a Node.js older than the project supports.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `PPV Stream needs Node.js 22.18 or newer (24 LTS recommended, see .nvmrc); this is ${process.version}.`,
  );
  process.exit(1);
}
