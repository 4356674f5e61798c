#!/usr/bin/env node
'use strict';
// The `certflow` command: the compiled CLI lives in ../dist (npm run build in libs/cli).
require('../dist/main.js').run(process.argv);
