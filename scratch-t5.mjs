const pg = await import('libpg-query'); await pg.loadModule();
console.log(JSON.stringify(pg.parseSync("SELECT 'éé', lo_put(1)")).match(/"location":\d+/g));
try { pg.parseSync("SELECT 'éé' FRM t"); } catch (e) { console.log(e.sqlDetails.cursorPosition); }
try { pg.parseSync("SELECT 'ééé' FRM t"); } catch (e) { console.log(e.sqlDetails.cursorPosition); }
try { pg.parseSync("SELECT 'a"); } catch (e) { console.log(e.message, e.sqlDetails.cursorPosition); }
