import { runCli } from './cli-main.js'

await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
  onSignal: (signal, handler) => process.once(signal, handler),
})
