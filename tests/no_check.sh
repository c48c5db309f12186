#!/bin/sh
echo "The unit test suites need Check (>= 0.11): apt-get install check, then re-run configure."
exit 1
