console.log('flowtrace: not implemented yet');
