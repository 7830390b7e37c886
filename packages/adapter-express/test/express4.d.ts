/** Express 4 (`express4`: npm:express@4.21.2), typed as Express 5: the API the tests use is one. */
declare module 'express4' {
  import express from 'express'
  export default express
}
