console.log('flowtrace-persistence: not implemented yet');
