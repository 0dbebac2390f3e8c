#!/bin/bash
cp input.txt output.txt && echo "$GREETING" >> output.txt
