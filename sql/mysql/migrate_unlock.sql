SELECT RELEASE_LOCK('writeback schema') AS released
